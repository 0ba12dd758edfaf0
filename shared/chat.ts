import { z } from 'zod';
import { ChatRole, LoadOptions, SamplingParams, type GenerationMetrics } from './inference';

/** One model variant in a side-by-side conversation (a column). */
export const ChatColumn = z.object({ modelId: z.string().min(1), options: LoadOptions.optional() }).strict();
export type ChatColumn = z.infer<typeof ChatColumn>;

export const CreateConversationRequest = z
  .object({
    title: z.string().max(200).optional(),
    columns: z.array(ChatColumn).min(1).max(4),
    systemPrompt: z.string().max(100_000).default(''),
    params: SamplingParams.prefault({}),
    /** Every column samples with the same seed, so differences come from the models. */
    sameSeed: z.boolean().default(true),
  })
  .strict();
export type CreateConversationRequest = z.infer<typeof CreateConversationRequest>;

export const UpdateConversationRequest = z
  .object({
    id: z.string().min(1),
    title: z.string().max(200).optional(),
    columns: z.array(ChatColumn).min(1).max(4).optional(),
    systemPrompt: z.string().max(100_000).optional(),
    params: SamplingParams.optional(),
    sameSeed: z.boolean().optional(),
    /** The message whose path from the root is shown (branches share their prefix). */
    activeLeafId: z.string().nullable().optional(),
  })
  .strict();
export type UpdateConversationRequest = z.infer<typeof UpdateConversationRequest>;

export const AddMessageRequest = z
  .object({
    conversationId: z.string().min(1),
    /** null for the first message; editing a message adds a sibling under the same parent (a branch). */
    parentId: z.string().nullable(),
    role: ChatRole,
    content: z.string().max(1 << 20),
    /** For assistant messages: which column (model variant) wrote it. */
    column: z.number().int().min(0).max(3).nullable().default(null),
    modelId: z.string().nullable().default(null),
    metrics: z.record(z.string(), z.unknown()).nullable().default(null),
  })
  .strict();
export type AddMessageRequest = z.infer<typeof AddMessageRequest>;

export const ExportConversationRequest = z
  .object({
    conversationId: z.string().min(1),
    /** Whose replies go into the assistant turns. */
    column: z.number().int().min(0).max(3).default(0),
    /** Dataset name (file name without .jsonl); appended to when it exists. */
    dataset: z.string().min(1).max(100).regex(/^[\w. -]+$/, 'letters, digits, space, dot, dash and underscore only'),
  })
  .strict();
export type ExportConversationRequest = z.infer<typeof ExportConversationRequest>;

export interface Conversation {
  id: string;
  title: string;
  columns: ChatColumn[];
  systemPrompt: string;
  params: SamplingParams;
  sameSeed: boolean;
  activeLeafId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ConversationMessage {
  id: string;
  conversationId: string;
  parentId: string | null;
  role: z.infer<typeof ChatRole>;
  content: string;
  column: number | null;
  modelId: string | null;
  metrics: GenerationMetrics | null;
  createdAt: number;
}

export interface ConversationWithMessages {
  conversation: Conversation;
  /** Every message of every branch; the active path is activeLeafId's ancestors. */
  messages: ConversationMessage[];
}

export interface ExportResult {
  path: string;
  rows: number;
  /** The dataset artifact in the library. */
  artifactId: string;
}
