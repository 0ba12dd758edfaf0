import { z } from 'zod';
import { ChatRole, FunctionTool, LoadOptions, SamplingParams, type GenerationMetrics } from './inference';

/**
 * A conversation's params: the sampling parameters plus how the chat is rendered and constrained (stored together in
 * the conversation's params JSON). chatTemplate: a Jinja template instead of the model's own; jsonSchema: structured
 * output; tools: function tools the model may call (not with jsonSchema).
 */
export const ConversationParams = SamplingParams.extend({
  chatTemplate: z.string().min(1).max(100_000).optional(),
  jsonSchema: z.record(z.string(), z.unknown()).optional(),
  tools: z.array(FunctionTool).max(64).optional(),
}).strict();
export type ConversationParams = z.infer<typeof ConversationParams>;

/** An OpenAI function tool, as the conversation settings take them: {"type":"function","function":{name, description, parameters}}. */
export const OpenAiFunctionTool = z.object({ type: z.literal('function'), function: FunctionTool }).strict();
export const OpenAiFunctionTools = z.array(OpenAiFunctionTool).max(64);

/** One model variant in a side-by-side conversation (a column). */
export const ChatColumn = z.object({ modelId: z.string().min(1), options: LoadOptions.optional() }).strict();
export type ChatColumn = z.infer<typeof ChatColumn>;

export const CreateConversationRequest = z
  .object({
    title: z.string().max(200).optional(),
    columns: z.array(ChatColumn).min(1).max(4),
    systemPrompt: z.string().max(100_000).default(''),
    params: ConversationParams.prefault({}),
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
    params: ConversationParams.optional(),
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

/**
 * One turn's replies, generated and saved by the engine: each column's reply is saved as it streams (every 250 ms,
 * status `streaming`), then `complete`, or `interrupted` when it was stopped, the client went away or the engine died.
 */
export const ReplyRequest = z
  .object({
    conversationId: z.string().min(1),
    /** The user message answered. */
    userId: z.string().min(1),
    columns: z.array(z.number().int().min(0).max(3)).min(1).max(4),
    /** Other columns' replies (message ids) copied first into the new branch (a regenerated column keeps them). */
    keep: z.array(z.string().min(1)).max(4).default([]),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
  })
  .strict();
export type ReplyRequest = z.infer<typeof ReplyRequest>;

export type ReplyEvent =
  /** A message of the turn was saved (a kept copy, or a reply at its first text). */
  | { type: 'message'; message: ConversationMessage }
  | { type: 'text'; column: number; text: string }
  | { type: 'end'; column: number; state: 'done' | 'stopped' | 'failed'; error: string | null; message: ConversationMessage | null };

export const ExportConversationRequest = z
  .object({
    conversationId: z.string().min(1),
    /** Whose replies go into the assistant turns. */
    column: z.number().int().min(0).max(3).default(0),
    /** Dataset name (file name without .jsonl); appended to when it exists. */
    dataset: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[\w. -]+$/, 'letters, digits, space, dot, dash and underscore only'),
  })
  .strict();
export type ExportConversationRequest = z.infer<typeof ExportConversationRequest>;

export interface Conversation {
  id: string;
  title: string;
  columns: ChatColumn[];
  systemPrompt: string;
  params: ConversationParams;
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
  /** complete; streaming: the engine is writing it; interrupted: stopped or cut off (stored in the metrics JSON). */
  status: MessageStatus;
  createdAt: number;
}

export type MessageStatus = 'complete' | 'streaming' | 'interrupted';

export interface ConversationWithMessages {
  conversation: Conversation;
  /** Every message of every branch; the active path is activeLeafId's ancestors. */
  messages: ConversationMessage[];
}

export interface ExportResult {
  path: string;
  rows: number;
  /** The dataset artifact in the library (null when nothing was written to a dataset that does not exist). */
  artifactId: string | null;
  report: ExportReport;
}

/** What an export wrote: rows are numbered from 1 in the export; invalid rows are fixed where possible, else skipped. */
export interface ExportReport {
  written: number;
  fixed: { row: number; what: string }[];
  skipped: { row: number; why: string }[];
}

const nonEmpty = z.string().refine((s) => s.trim() !== '', 'empty content');
const FineTuneToolCall = z
  .object({ id: z.string().min(1), type: z.literal('function'), function: z.object({ name: z.string().min(1), arguments: z.string() }).strict() })
  .strict();
/** One message of an OpenAI chat fine-tuning row. */
export const FineTuneMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: nonEmpty }).strict(),
  z.object({ role: z.literal('user'), content: nonEmpty }).strict(),
  z.object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(FineTuneToolCall).min(1).optional() }).strict(),
  z.object({ role: z.literal('tool'), content: z.string(), tool_call_id: z.string().min(1) }).strict(),
]);
export type FineTuneMessage = z.infer<typeof FineTuneMessage>;

/**
 * A row of the OpenAI chat fine-tuning format: an optional system message, then user and assistant turns taking
 * turns (an assistant's tool_calls each answered by a tool message before the next assistant), ending with an
 * assistant reply; no empty content.
 */
export const FineTuneRow = z
  .object({ messages: z.array(FineTuneMessage).min(2) })
  .strict()
  .superRefine((row, ctx) => {
    const issue = (i: number, message: string): void => void ctx.addIssue({ code: 'custom', path: ['messages', i], message });
    const ms = row.messages;
    let expect: 'user' | 'assistant' = 'user';
    let pending = new Set<string>();
    ms.forEach((m, i) => {
      if (m.role === 'system') {
        if (i !== 0) issue(i, 'a system message may only come first');
        return;
      }
      if (m.role === 'tool') {
        if (!pending.delete(m.tool_call_id)) issue(i, `tool message ${m.tool_call_id} answers no tool call`);
        return;
      }
      if (pending.size) issue(i, `tool call(s) ${[...pending].join(', ')} have no tool message`);
      if (m.role !== expect) issue(i, `two ${m.role} messages in a row`);
      if (m.role === 'assistant') {
        if (!m.content?.trim() && !m.tool_calls?.length) issue(i, 'empty content');
        pending = new Set((m.tool_calls ?? []).map((c) => c.id));
        expect = pending.size ? 'assistant' : 'user';
      } else expect = 'assistant';
    });
    const last = ms.at(-1);
    if (!last || last.role !== 'assistant' || pending.size) issue(ms.length - 1, 'the row must end with an assistant reply');
  });
export type FineTuneRow = z.infer<typeof FineTuneRow>;
