import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Conversation, ConversationMessage } from '../../../shared/chat';

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

/** Appends rows to <data>/datasets/<name>.jsonl; returns the file, its total row count and sha256. */
export async function appendJsonl(dataDir: string, name: string, rows: unknown[]): Promise<{ path: string; rows: number; sha256: string; sizeBytes: number }> {
  const dir = join(dataDir, 'datasets');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.jsonl`);
  const before = existsSync(path) ? await readFile(path, 'utf8') : '';
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  await appendFile(path, sep + rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const text = await readFile(path);
  return { path, rows: text.toString('utf8').split('\n').filter((l) => l.trim()).length, sha256: createHash('sha256').update(text).digest('hex'), sizeBytes: text.length };
}
