import type { EngineApi } from '../../../shared/api/engine-api';
import { InvalidInputError } from '../../../shared/api/router';
import type { ArtifactsStore } from '../store/artifacts-store';
import type { ConversationsStore } from '../chat/conversations-store';
import { appendJsonl, conversationRow, datasetPath, existingRows, fixRow } from '../chat/export-dataset';
import type { ExportReport } from '../../../shared/chat';
import { runReply, stopReply, type ChatFn } from '../chat/reply';
import { newId } from '../util/ids';

export const DATASET_KIND = 'dataset';

export function createConversationsApi(store: ConversationsStore, artifacts: ArtifactsStore, dataDir: string, chat: ChatFn): EngineApi['conversations'] {
  return {
    list: () => store.list(),
    get: (id) => ({ conversation: store.get(id), messages: store.messages(id) }),
    create: (req) => store.create(req),
    update: (req) => store.update(req),
    remove: (id) => store.remove(id),
    addMessage: (req) => store.addMessage(req),
    reply: (req, onEvent, signal) => runReply(store, chat, req, onEvent, signal),
    stopReply: (conversationId) => stopReply(conversationId),
    async export(req) {
      const c = store.get(req.conversationId);
      if (req.column >= c.columns.length) throw new InvalidInputError(`column: the conversation has ${c.columns.length} column(s)`);
      const path = store.path(c.id, c.activeLeafId);
      const built = conversationRow(c, path, req.column);
      if (!built.messages.some((m) => m.role === 'assistant')) throw new InvalidInputError(`conversationId: "${c.title}" has no reply from column ${req.column + 1} to export`);
      const checked = fixRow(built);
      const report: ExportReport = { written: 0, fixed: [], skipped: [] };
      const rows: unknown[] = [];
      if (checked.row) {
        rows.push(checked.row);
        report.written++;
        for (const what of checked.fixed) report.fixed.push({ row: 1, what });
      } else report.skipped.push({ row: 1, why: checked.why });
      const existing = artifacts.byPath(datasetPath(dataDir, req.dataset));
      if (!rows.length) return { path: datasetPath(dataDir, req.dataset), rows: existingRows(dataDir, req.dataset), artifactId: existing?.id ?? null, report };
      const file = await appendJsonl(dataDir, req.dataset, rows);
      const meta = { format: 'chat-jsonl', rows: file.rows, source: 'chat', conversations: [c.id] };
      if (existing) {
        const prev = (existing.meta.conversations as string[] | undefined) ?? [];
        artifacts.updateContent(existing.id, file.sha256, file.sizeBytes, { ...existing.meta, ...meta, conversations: [...new Set([...prev, c.id])] });
        return { path: file.path, rows: file.rows, artifactId: existing.id, report };
      }
      const id = newId('a');
      artifacts.insert({ id, kind: DATASET_KIND, name: req.dataset, path: file.path, sha256: file.sha256, sizeBytes: file.sizeBytes, jobId: null, parents: [], meta, tags: ['chat'], notes: '', managed: true });
      return { path: file.path, rows: file.rows, artifactId: id, report };
    },
  };
}
