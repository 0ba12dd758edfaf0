import { InvalidInputError } from '../../../shared/errors';
import type { Conversation, ConversationMessage, ReplyEvent, ReplyRequest } from '../../../shared/chat';
import type { ChatMessage, ChatRequest, GenerationEvent, GenerationResult } from '../../../shared/inference';
import type { ConversationsStore } from './conversations-store';

/** How often a streaming reply's text is written to the store. */
export const REPLY_SAVE_MS = 250;

export type ChatFn = (req: ChatRequest, onEvent: (e: GenerationEvent) => void, signal: AbortSignal) => Promise<GenerationResult>;

/** What column `column` sees: the system prompt, the user messages and its own replies (as chatView.historyFor). */
export function columnHistory(systemPrompt: string, path: readonly ConversationMessage[], column: number): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (systemPrompt.trim()) out.push({ role: 'system', content: systemPrompt });
  for (const m of path) {
    if (m.role === 'system' || (m.role === 'assistant' && m.column !== column)) continue;
    out.push({ role: m.role, content: m.content });
  }
  return out;
}

/** The conversation's generation request for one column, from its params (sampling, template, schema, tools). */
export function chatRequestFor(c: Conversation, column: number, messages: ChatMessage[], seed: number | undefined): ChatRequest {
  const { chatTemplate, jsonSchema, tools, ...sampling } = c.params;
  return {
    modelId: c.columns[column]!.modelId,
    messages,
    params: { ...sampling, ...(seed === undefined ? {} : { seed }) },
    ...(chatTemplate ? { chatTemplate } : {}),
    ...(jsonSchema ? { jsonSchema } : {}),
    ...(tools?.length ? { tools } : {}),
  };
}

/** The turns being generated, by conversation: `stop` aborts one and resolves once its replies are saved. */
const running = new Map<string, { abort: AbortController; done: Promise<void> }>();

export async function stopReply(conversationId: string): Promise<boolean> {
  const turn = running.get(conversationId);
  if (!turn) return false;
  turn.abort.abort();
  await turn.done;
  return true;
}

/**
 * Generates one turn's replies in the engine and saves them as they stream: a column's reply is inserted at its
 * first text (chained after the turn's previous message, so the turn reads user, reply, reply), rewritten every
 * REPLY_SAVE_MS, and finished as complete, or as interrupted when the signal aborts (stop, or the client went away)
 * or the generation failed after some text. Resolves when every column ended.
 */
export async function runReply(
  store: ConversationsStore,
  chat: ChatFn,
  req: ReplyRequest,
  onEvent: (e: ReplyEvent) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const c = store.get(req.conversationId);
  const user = store.message(req.userId, c.id);
  if (user.role !== 'user') throw new InvalidInputError('userId: not a user message');
  for (const col of req.columns) if (!c.columns[col]) throw new InvalidInputError(`columns: the conversation has ${c.columns.length} column(s)`);
  if (running.has(c.id)) throw new InvalidInputError('conversationId: a reply is already being generated in this conversation');
  const kept = req.keep.map((id) => store.message(id, c.id));
  const path = store.path(c.id, user.id);

  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) abort.abort();
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  running.set(c.id, { abort, done });

  let parent = user.id;
  let keptSaved = false;
  const insert = (
    column: number,
    content: string,
    metrics: Record<string, unknown> | null,
    status: 'streaming' | 'complete' | 'interrupted',
  ): ConversationMessage => {
    if (!keptSaved) {
      keptSaved = true;
      for (const k of kept) {
        const copy = store.addMessage(
          {
            conversationId: c.id,
            parentId: parent,
            role: 'assistant',
            content: k.content,
            column: k.column,
            modelId: k.modelId,
            metrics: k.metrics ? { ...k.metrics } : null,
          },
          k.status,
        );
        parent = copy.id;
        onEvent({ type: 'message', message: copy });
      }
    }
    const message = store.addMessage(
      { conversationId: c.id, parentId: parent, role: 'assistant', content, column, modelId: c.columns[column]!.modelId, metrics },
      status,
    );
    parent = message.id;
    onEvent({ type: 'message', message });
    return message;
  };

  const runColumn = async (column: number): Promise<void> => {
    const seedMetrics = req.seed === undefined ? {} : { seed: req.seed };
    let text = '';
    let id: string | null = null;
    let timer: NodeJS.Timeout | null = null;
    let ended = false;
    const write = (): void => {
      timer = null;
      if (ended) return;
      if (id) store.updateReply(id, text, { ...seedMetrics }, 'streaming');
      else if (text) id = insert(column, text, { ...seedMetrics }, 'streaming').id;
    };
    /** Saves the reply's last state once; the message, or null when there was no text to keep. */
    const end = (content: string, metrics: Record<string, unknown>, status: 'complete' | 'interrupted'): ConversationMessage | null => {
      ended = true;
      if (timer) clearTimeout(timer);
      if (!id && !content && status === 'interrupted') return null;
      if (id) store.updateReply(id, content, metrics, status);
      else id = insert(column, content, metrics, status).id;
      return store.message(id, c.id);
    };
    let resolveStop!: () => void;
    const stopped = new Promise<'stopped'>((r) => (resolveStop = () => r('stopped')));
    const onStop = (): void => resolveStop();
    abort.signal.addEventListener('abort', onStop, { once: true });
    if (abort.signal.aborted) resolveStop();
    const messages = columnHistory(c.systemPrompt, path, column);
    const generation = chat(
      chatRequestFor(c, column, messages, req.seed),
      (e) => {
        if (ended || e.type !== 'text') return;
        text += e.text;
        onEvent({ type: 'text', column, text: e.text });
        if (!id) write();
        else timer ??= setTimeout(write, REPLY_SAVE_MS);
      },
      abort.signal,
    );
    try {
      const outcome = await Promise.race([generation, stopped]);
      if (outcome === 'stopped') {
        // Saved at once, with the text so far: whatever the engine sends after the abort is dropped.
        const message = end(text, { finishReason: 'abort', ...seedMetrics }, 'interrupted');
        onEvent({ type: 'end', column, state: 'stopped', error: null, message });
        return;
      }
      const status = outcome.finishReason === 'abort' ? 'interrupted' : 'complete';
      const toolCalls = outcome.toolCalls.length ? { toolCalls: outcome.toolCalls } : {};
      const message = end(outcome.text, { ...outcome.metrics, finishReason: outcome.finishReason, ...seedMetrics, ...toolCalls }, status);
      onEvent({ type: 'end', column, state: status === 'complete' ? 'done' : 'stopped', error: null, message });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const message = end(text, { finishReason: abort.signal.aborted ? 'abort' : 'error', ...seedMetrics }, 'interrupted');
      onEvent({ type: 'end', column, state: abort.signal.aborted ? 'stopped' : 'failed', error: abort.signal.aborted ? null : reason, message });
    } finally {
      abort.signal.removeEventListener('abort', onStop);
      generation.catch(() => undefined);
    }
  };

  try {
    await Promise.all(req.columns.map(runColumn));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    running.delete(c.id);
    finished();
  }
}
