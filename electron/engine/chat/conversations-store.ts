import { NotFoundError } from '../../../shared/errors';
import type {
  AddMessageRequest,
  Conversation,
  ConversationMessage,
  CreateConversationRequest,
  MessageStatus,
  UpdateConversationRequest,
} from '../../../shared/chat';
import type { GenerationMetrics } from '../../../shared/inference';
import type { Db } from '../store/database';
import { newId } from '../util/ids';

interface ConversationRow {
  id: string;
  title: string;
  columns: string;
  system_prompt: string;
  params: string;
  same_seed: number;
  active_leaf_id: string | null;
  created_at: number;
  updated_at: number;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: ConversationMessage['role'];
  content: string;
  col: number | null;
  model_id: string | null;
  metrics: string | null;
  created_at: number;
}

const toConversation = (r: ConversationRow): Conversation => ({
  id: r.id,
  title: r.title,
  columns: JSON.parse(r.columns) as Conversation['columns'],
  systemPrompt: r.system_prompt,
  params: JSON.parse(r.params) as Conversation['params'],
  sameSeed: r.same_seed === 1,
  activeLeafId: r.active_leaf_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toMessage = (r: MessageRow): ConversationMessage => {
  // The status lives in the metrics JSON (no migration): {"status":"streaming"|"interrupted", ...metrics}.
  const { status, ...metrics } = r.metrics ? (JSON.parse(r.metrics) as { status?: MessageStatus }) : { status: undefined };
  return {
    id: r.id,
    conversationId: r.conversation_id,
    parentId: r.parent_id,
    role: r.role,
    content: r.content,
    column: r.col,
    modelId: r.model_id,
    metrics: r.metrics && (Object.keys(metrics).length || !status) ? (metrics as GenerationMetrics) : null,
    status: status ?? 'complete',
    createdAt: r.created_at,
  };
};

const metricsJson = (metrics: Record<string, unknown> | null, status: MessageStatus): string | null =>
  status === 'complete' ? (metrics ? JSON.stringify(metrics) : null) : JSON.stringify({ ...(metrics ?? {}), status });

/** Chat playground conversations in SQLite; messages are a tree, and the conversation remembers which leaf is shown. */
export class ConversationsStore {
  constructor(private readonly db: Db) {
    // Replies the engine was writing when it last stopped were cut off.
    db.prepare(
      "UPDATE conversation_messages SET metrics = json_set(metrics, '$.status', 'interrupted') WHERE metrics IS NOT NULL AND json_valid(metrics) AND json_extract(metrics, '$.status') = 'streaming'",
    ).run();
  }

  list(): Conversation[] {
    return (this.db.prepare('SELECT * FROM conversations ORDER BY updated_at DESC').all() as ConversationRow[]).map(toConversation);
  }

  get(id: string): Conversation {
    const row = this.db.prepare('SELECT * FROM conversations WHERE id = ?').get(id) as ConversationRow | undefined;
    if (!row) throw new NotFoundError(`No conversation with id ${id}`);
    return toConversation(row);
  }

  messages(conversationId: string): ConversationMessage[] {
    return (
      this.db.prepare('SELECT * FROM conversation_messages WHERE conversation_id = ? ORDER BY created_at, rowid').all(conversationId) as MessageRow[]
    ).map(toMessage);
  }

  create(req: CreateConversationRequest): Conversation {
    const id = newId('c');
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO conversations (id, title, columns, system_prompt, params, same_seed, active_leaf_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)',
      )
      .run(id, req.title ?? 'New conversation', JSON.stringify(req.columns), req.systemPrompt, JSON.stringify(req.params), req.sameSeed ? 1 : 0, now, now);
    return this.get(id);
  }

  update(req: UpdateConversationRequest): Conversation {
    const c = this.get(req.id);
    if (req.activeLeafId) this.message(req.activeLeafId, req.id);
    this.db
      .prepare('UPDATE conversations SET title = ?, columns = ?, system_prompt = ?, params = ?, same_seed = ?, active_leaf_id = ?, updated_at = ? WHERE id = ?')
      .run(
        req.title ?? c.title,
        JSON.stringify(req.columns ?? c.columns),
        req.systemPrompt ?? c.systemPrompt,
        JSON.stringify(req.params ?? c.params),
        (req.sameSeed ?? c.sameSeed) ? 1 : 0,
        req.activeLeafId === undefined ? c.activeLeafId : req.activeLeafId,
        Date.now(),
        req.id,
      );
    return this.get(req.id);
  }

  remove(id: string): void {
    this.get(id);
    this.db.prepare('DELETE FROM conversations WHERE id = ?').run(id);
  }

  message(id: string, conversationId: string): ConversationMessage {
    const row = this.db.prepare('SELECT * FROM conversation_messages WHERE id = ? AND conversation_id = ?').get(id, conversationId) as MessageRow | undefined;
    if (!row) throw new NotFoundError(`No message ${id} in conversation ${conversationId}`);
    return toMessage(row);
  }

  /** Rewrites a reply the engine is streaming (or has ended): its text, metrics and status. */
  updateReply(id: string, content: string, metrics: Record<string, unknown> | null, status: MessageStatus): void {
    this.db.prepare('UPDATE conversation_messages SET content = ?, metrics = ? WHERE id = ?').run(content, metricsJson(metrics, status), id);
  }

  addMessage(req: AddMessageRequest, status: MessageStatus = 'complete'): ConversationMessage {
    this.get(req.conversationId);
    if (req.parentId) this.message(req.parentId, req.conversationId);
    const id = newId('m');
    const now = Date.now();
    const tx = this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO conversation_messages (id, conversation_id, parent_id, role, content, col, model_id, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(id, req.conversationId, req.parentId, req.role, req.content, req.column, req.modelId, metricsJson(req.metrics, status), now);
      this.db.prepare('UPDATE conversations SET active_leaf_id = ?, updated_at = ? WHERE id = ?').run(id, now, req.conversationId);
    });
    tx();
    return this.message(id, req.conversationId);
  }

  /** The messages from the root to `leafId` (the shown branch). */
  path(conversationId: string, leafId: string | null): ConversationMessage[] {
    const byId = new Map(this.messages(conversationId).map((m) => [m.id, m]));
    const out: ConversationMessage[] = [];
    for (let m = leafId ? byId.get(leafId) : undefined; m; m = m.parentId ? byId.get(m.parentId) : undefined) out.unshift(m);
    return out;
  }
}
