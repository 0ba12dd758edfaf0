import { existsSync } from 'node:fs';
import type { EngineApi } from '../../../shared/api/engine-api';
import type { ArtifactRecord } from '../../../shared/artifacts';
import { InvalidInputError } from '../../../shared/errors';
import type { ArtifactsStore } from '../store/artifacts-store';
import type { ConversationsStore } from '../chat/conversations-store';
import { conversationRow, datasetVersionPath, existingRows, fixRow, readPrevious, writeDatasetVersion } from '../chat/export-dataset';
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
      if (!built.messages.some((m) => m.role === 'assistant'))
        throw new InvalidInputError(`conversationId: "${c.title}" has no reply from column ${req.column + 1} to export`);
      const checked = fixRow(built);
      const report: ExportReport = { written: 0, fixed: [], skipped: [] };
      const rows: unknown[] = [];
      if (checked.row) {
        rows.push(checked.row);
        report.written++;
        for (const what of checked.fixed) report.fixed.push({ row: 1, what });
      } else report.skipped.push({ row: 1, why: checked.why });
      // Artifacts are immutable: each export with rows writes a new file (the previous version's rows + the new ones)
      // and a new record parented to the previous version; the old file and its sha256 are never touched.
      const { head } = datasetHead(artifacts, dataDir, req.dataset);
      if (!rows.length)
        return {
          path: head?.path ?? datasetVersionPath(dataDir, req.dataset, 1),
          rows: head ? existingRows(head.path) : 0,
          artifactId: head?.id ?? null,
          report,
        };
      const previous = head ? await readPrevious(head.path) : null;
      let file: Awaited<ReturnType<typeof writeDatasetVersion>> | null = null;
      for (let attempt = 0; !file; attempt++) {
        try {
          file = await writeDatasetVersion(datasetVersionPath(dataDir, req.dataset, datasetHead(artifacts, dataDir, req.dataset).nextSlot), previous, rows);
        } catch (err) {
          // Another export took the slot between the probe and the write: probe again.
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 4) throw err;
        }
      }
      const prevConversations = (head?.meta.conversations as string[] | undefined) ?? [];
      const carried: Record<string, unknown> = { ...(head?.meta ?? {}) };
      delete carried.deletedParents;
      const version = head ? (typeof head.meta.version === 'number' ? head.meta.version : 1) + 1 : 1;
      const meta: Record<string, unknown> = {
        ...carried,
        format: 'chat-jsonl',
        rows: file.rows,
        source: 'chat',
        conversations: [...new Set([...prevConversations, c.id])],
        version,
        ...(head ? { previousVersion: head.id } : {}),
      };
      const id = newId('a');
      artifacts.insert({
        id,
        kind: DATASET_KIND,
        name: req.dataset,
        path: file.path,
        sha256: file.sha256,
        sizeBytes: file.sizeBytes,
        jobId: null,
        parents: head ? [head.id] : [],
        meta,
        tags: head?.tags ?? ['chat'],
        notes: head?.notes ?? '',
        managed: true,
      });
      return { path: file.path, rows: file.rows, artifactId: id, report };
    },
  };
}

/**
 * The newest recorded version of dataset `name` (the record at the highest used file slot) and the first free slot:
 * slots are probed in order until one has neither a record nor a file, so a stray file is never overwritten.
 */
export function datasetHead(artifacts: ArtifactsStore, dataDir: string, name: string): { head: ArtifactRecord | null; nextSlot: number } {
  let head: ArtifactRecord | null = null;
  let slot = 1;
  for (; ; slot++) {
    const path = datasetVersionPath(dataDir, name, slot);
    const record = artifacts.byPath(path);
    if (record) head = record;
    else if (!existsSync(path)) break;
  }
  return { head, nextSlot: slot };
}
