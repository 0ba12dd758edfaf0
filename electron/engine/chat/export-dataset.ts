import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FineTuneRow, type Conversation, type ConversationMessage } from '../../../shared/chat';

/**
 * One conversation branch as a chat fine-tuning row: {"messages":[{role, content}, ...]} with the system prompt first,
 * the user turns, and the chosen column's assistant replies. Side-by-side replies from other columns are left out.
 */
export function conversationRow(c: Conversation, path: ConversationMessage[], column: number): { messages: { role: string; content: string }[] } {
  const messages: { role: string; content: string }[] = [];
  if (c.systemPrompt.trim()) messages.push({ role: 'system', content: c.systemPrompt });
  for (const m of path) {
    if (m.role === 'assistant' && m.column !== null && m.column !== column) continue;
    messages.push({ role: m.role, content: m.content });
  }
  return { messages };
}

type Row = { messages: { role: string; content: string }[] };

/**
 * Makes a chat row valid for OpenAI chat fine-tuning where it can: drops empty messages, merges consecutive messages
 * of the same role (joined by a blank line), and drops trailing user turns (a row must end with an assistant reply).
 * Returns the row and what was fixed, or why it was skipped (FineTuneRow's first issue).
 */
export function fixRow(row: Row): { row: Row; fixed: string[] } | { row: null; why: string } {
  const fixed: string[] = [];
  let ms = row.messages.filter((m) => m.content.trim() !== '');
  const empty = row.messages.length - ms.length;
  if (empty) fixed.push(`dropped ${empty} empty message${empty === 1 ? '' : 's'}`);
  const merged: Row['messages'] = [];
  let merges = 0;
  for (const m of ms) {
    const prev = merged.at(-1);
    if (prev && prev.role === m.role && m.role !== 'tool') {
      prev.content = `${prev.content}

${m.content}`;
      merges++;
    } else merged.push({ ...m });
  }
  if (merges) fixed.push(`merged ${merges} consecutive same-role message${merges === 1 ? '' : 's'} into the one before`);
  ms = merged;
  let trailing = 0;
  while (ms.length && ms.at(-1)!.role === 'user') {
    ms = ms.slice(0, -1);
    trailing++;
  }
  if (trailing) fixed.push('dropped the trailing user turn (the row must end with an assistant reply)');
  const parsed = FineTuneRow.safeParse({ messages: ms });
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? `${first.path.join('.')}: ` : '';
    return { row: null, why: `${where}${first?.message ?? 'invalid row'}` };
  }
  return { row: { messages: ms }, fixed };
}

export const datasetPath = (dataDir: string, name: string): string => join(dataDir, 'datasets', `${name}.jsonl`);

/**
 * Version 1 keeps the plain `<name>.jsonl` (so older datasets are their own version 1); later ones are `<name>@v<N>.jsonl`.
 * Dataset names cannot contain `@`, so a version file never collides with another dataset's file.
 */
export const datasetVersionPath = (dataDir: string, name: string, slot: number): string =>
  slot <= 1 ? datasetPath(dataDir, name) : join(dataDir, 'datasets', `${name}@v${slot}.jsonl`);

/** The rows a dataset file holds now (0 when it does not exist). */
export function existingRows(path: string): number {
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim()).length
    : 0;
}

/**
 * Writes a new, never-before-used dataset file `path` holding `previous` (the prior version's bytes, unchanged) followed
 * by `rows` as JSON lines. The file is created exclusively (`wx`): an existing file is never overwritten or appended to,
 * so a committed version's content and sha256 stay what they were. Throws EEXIST when `path` is taken.
 */
export async function writeDatasetVersion(
  path: string,
  previous: Buffer | null,
  rows: unknown[],
): Promise<{ path: string; rows: number; sha256: string; sizeBytes: number }> {
  await mkdir(dirname(path), { recursive: true });
  const before = previous ? previous.toString('utf8') : '';
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  const text = Buffer.from(before + sep + rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
  await writeFile(path, text, { flag: 'wx' });
  return {
    path,
    rows: text
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim()).length,
    sha256: createHash('sha256').update(text).digest('hex'),
    sizeBytes: text.length,
  };
}

/** Reads a previous version's bytes, or null when its file is gone. */
export async function readPrevious(path: string): Promise<Buffer | null> {
  return existsSync(path) ? await readFile(path) : null;
}
