import type { Conversation, ConversationMessage } from '../../../../shared/chat';
import type { ChatMessage, GenerationMetrics, LoadedModel, LoadOptions, SamplingParams, ToolCall } from '../../../../shared/inference';

/**
 * Pure helpers for the Chat playground: the message tree, turns, per-column history, presets and formatting.
 *
 * How a conversation is stored (shared/chat.ts): messages form a tree through parentId, and the conversation's
 * activeLeafId names the branch shown. One turn is a user message followed by a chain of assistant replies, one per
 * column, each the parent of the next (in the order they finished); the next user message hangs under the last reply.
 * So the active path reads [user, reply(col a), reply(col b), user, ...], and a column's view of it (its history, or
 * the exported dataset row) is the user messages plus that column's replies.
 */

/** SamplingParams' defaults (shared/inference.ts), as a plain value: the renderer cannot run zod. */
export const DEFAULT_PARAMS: SamplingParams = {
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.1,
  maxTokens: 512,
  stop: [],
};

/** LoadOptions.contextSize's default: what a model gets when loaded on demand without options. */
export const DEFAULT_CONTEXT_SIZE = 4096;

export type SamplingKnobs = Pick<SamplingParams, 'temperature' | 'topK' | 'topP' | 'minP' | 'repeatPenalty'>;

export interface Preset {
  id: 'precise' | 'balanced' | 'creative';
  label: string;
  hint: string;
  params: SamplingKnobs;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'precise',
    label: 'Precise',
    hint: 'Low temperature: focused, repeatable answers',
    params: { temperature: 0.2, topK: 20, topP: 0.9, minP: 0.05, repeatPenalty: 1.1 },
  },
  { id: 'balanced', label: 'Balanced', hint: 'The defaults', params: { temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.1 } },
  {
    id: 'creative',
    label: 'Creative',
    hint: 'High temperature, wider sampling: varied answers',
    params: { temperature: 1.1, topK: 100, topP: 0.98, minP: 0.02, repeatPenalty: 1.05 },
  },
];

/** The preset whose knobs all equal these params, if any. */
export function presetOf(params: SamplingParams): Preset['id'] | null {
  const found = PRESETS.find((p) => (Object.keys(p.params) as (keyof SamplingKnobs)[]).every((k) => p.params[k] === params[k]));
  return found?.id ?? null;
}

export function applyPreset(params: SamplingParams, id: Preset['id']): SamplingParams {
  const preset = PRESETS.find((p) => p.id === id);
  return preset ? { ...params, ...preset.params } : params;
}

/**
 * What the app stores as an assistant message's metrics: the generation's metrics plus how it was sampled. A reply
 * that was stopped has no engine metrics, only its finish reason; older or foreign rows may lack any field.
 */
export type SavedMetrics = Partial<GenerationMetrics> & { seed?: number; finishReason?: string; toolCalls?: ToolCall[] };

export function savedMetrics(message: ConversationMessage): SavedMetrics | null {
  return message.metrics;
}

/** The messages from the root to `leafId`, root first. */
export function pathTo(messages: readonly ConversationMessage[], leafId: string | null): ConversationMessage[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const out: ConversationMessage[] = [];
  const seen = new Set<string>();
  for (let m = leafId ? byId.get(leafId) : undefined; m && !seen.has(m.id); m = m.parentId ? byId.get(m.parentId) : undefined) {
    seen.add(m.id);
    out.unshift(m);
  }
  return out;
}

export interface Turn {
  user: ConversationMessage;
  /** The reply of each column in this turn's chain, by column index. */
  replies: Map<number, ConversationMessage>;
  /** The first message after the user message on the path (where this turn's reply chain starts), if any. */
  firstReply: ConversationMessage | null;
}

/** The path grouped by user message. Assistant messages before the first user message are dropped. */
export function turnsOf(path: readonly ConversationMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const m of path) {
    if (m.role === 'user') turns.push({ user: m, replies: new Map(), firstReply: null });
    else if (m.role === 'assistant') {
      const turn = turns[turns.length - 1];
      if (!turn) continue;
      turn.firstReply ??= m;
      if (m.column !== null) turn.replies.set(m.column, m);
    }
  }
  return turns;
}

/** What column `column` sees: the system prompt, the user messages and its own replies. */
export function historyFor(systemPrompt: string, path: readonly ConversationMessage[], column: number): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (systemPrompt.trim()) out.push({ role: 'system', content: systemPrompt });
  for (const m of path) {
    if (m.role === 'assistant' && m.column !== column) continue;
    if (m.role === 'system') continue;
    out.push({ role: m.role, content: m.content });
  }
  return out;
}

/** The text a column's next prompt is made of, for counting tokens (the chat template's markers are not included). */
export function promptText(history: readonly ChatMessage[], draft: string): string {
  const parts = history.map((m) => m.content);
  if (draft.trim()) parts.push(draft);
  return parts.join('\n');
}

const byCreated = (a: ConversationMessage, b: ConversationMessage): number => a.createdAt - b.createdAt;

/** A user message's versions: the user messages under the same parent (editing adds one), oldest first. */
export function userVersions(messages: readonly ConversationMessage[], user: ConversationMessage): ConversationMessage[] {
  return messages.filter((m) => m.role === 'user' && m.parentId === user.parentId).sort(byCreated);
}

/** A turn's reply sets: the reply chains that start under its user message (regenerating adds one), oldest first. */
export function replyVersions(messages: readonly ConversationMessage[], user: ConversationMessage): ConversationMessage[] {
  return messages.filter((m) => m.role === 'assistant' && m.parentId === user.id).sort(byCreated);
}

/** The leaf reached from `from` by always following the newest child: where switching to a branch lands. */
export function newestLeaf(messages: readonly ConversationMessage[], from: ConversationMessage): string {
  const children = new Map<string, ConversationMessage[]>();
  for (const m of messages) {
    if (!m.parentId) continue;
    const list = children.get(m.parentId) ?? [];
    list.push(m);
    children.set(m.parentId, list);
  }
  let at = from;
  const seen = new Set<string>([at.id]);
  for (;;) {
    const next = children.get(at.id)?.sort(byCreated).at(-1);
    if (!next || seen.has(next.id)) return at.id;
    seen.add(next.id);
    at = next;
  }
}

/** Whether a loaded model already runs with every option the column asks for. */
export function optionsMatch(loaded: LoadOptions, wanted: LoadOptions | undefined): boolean {
  if (!wanted) return true;
  return (Object.keys(wanted) as (keyof LoadOptions)[]).every((k) => JSON.stringify(loaded[k]) === JSON.stringify(wanted[k]));
}

/**
 * The context a column's prompt must fit (per sequence): the loaded model's, else what it will load with, which the
 * engine caps at the context the model was trained with.
 */
export function contextLimit(loaded: LoadedModel | undefined, options: LoadOptions | undefined, trainedContext: number | null | undefined): number {
  if (loaded?.contextSize) return loaded.contextSize;
  const asked = options?.contextSize ?? DEFAULT_CONTEXT_SIZE;
  return trainedContext ? Math.min(trainedContext, asked) : asked;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function formatCount(n: number): string {
  return integer.format(n);
}

export function formatRate(perSec: number | null | undefined): string {
  return perSec == null || !Number.isFinite(perSec) ? '—' : `${oneDecimal.format(perSec)} tok/s`;
}

/** A 32-bit seed for one send, so every column samples the same way. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** Stop strings as typed (one a line; `\n` and `\t` stand for a newline and a tab) and back. */
export function parseStops(text: string): string[] {
  return text
    .split('\n')
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/\\n/g, '\n').replace(/\\t/g, '\t'))
    .slice(0, 16);
}

export function formatStops(stops: readonly string[]): string {
  return stops.map((s) => s.replace(/\n/g, '\\n').replace(/\t/g, '\\t')).join('\n');
}

export function columnLabel(conversation: Conversation, column: number, nameOf: (modelId: string) => string): string {
  const col = conversation.columns[column];
  return col ? nameOf(col.modelId) : `Column ${column + 1}`;
}
