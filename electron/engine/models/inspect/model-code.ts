import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { CodeConsent, ModelCode, ModelCodeFile } from '../../../../shared/models';
import { isFile, isRecord, readJsonFile } from './util';

/** Files whose `auto_map` names classes transformers would import from the folder (trust_remote_code). */
const AUTO_MAP_SOURCES = [
  'config.json',
  'tokenizer_config.json',
  'processor_config.json',
  'preprocessor_config.json',
  'feature_extractor_config.json',
  'image_processor_config.json',
];
/** torch.load unpickles these: a pickle can run any code while it loads. */
const PICKLE = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;
/** How deep *.py files are looked for: dynamic modules import siblings and subpackages. */
const MAX_DEPTH = 3;
const MAX_FILES = 2000;

async function hashOf(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function autoMapEntries(source: string, autoMap: unknown): ModelCode['autoMap'] {
  if (!isRecord(autoMap)) return [];
  const out: ModelCode['autoMap'] = [];
  for (const [autoClass, v] of Object.entries(autoMap)) {
    // AutoTokenizer maps to [slow, fast]; every other class to one "module.Class" reference.
    const refs = Array.isArray(v) ? v : [v];
    for (const ref of refs) if (typeof ref === 'string' && ref) out.push({ source, autoClass, ref });
  }
  return out;
}

async function walk(dir: string, root: string, depth: number, out: { path: string; kind: ModelCodeFile['kind'] }[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (out.length >= MAX_FILES || e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    // Links are not followed: a link out of the folder is not the folder's code (and is refused at run time anyway).
    if (e.isDirectory() && depth < MAX_DEPTH && e.name !== '__pycache__') await walk(full, root, depth + 1, out);
    else if (e.isFile()) {
      const rel = relative(root, full).split(sep).join('/');
      if (e.name.endsWith('.py')) out.push({ path: rel, kind: 'python' });
      else if (depth === 0 && PICKLE.test(e.name)) out.push({ path: rel, kind: 'pickle' });
    }
  }
}

/**
 * What code a Hugging Face-style folder ships: auto_map entries and *.py files (hashed: they are small), and pickle
 * checkpoints (sized only; they are hashed when the user allows the model's code). Null when there is none.
 */
export async function findModelCode(dir: string): Promise<ModelCode | null> {
  const autoMap: ModelCode['autoMap'] = [];
  for (const source of AUTO_MAP_SOURCES) {
    const p = join(dir, source);
    if (!(await isFile(p))) continue;
    const json = await readJsonFile(p).catch(() => null);
    if (isRecord(json)) autoMap.push(...autoMapEntries(source, json.auto_map));
  }
  const found: { path: string; kind: ModelCodeFile['kind'] }[] = [];
  await walk(dir, dir, 0, found);
  found.sort((a, b) => (a.path < b.path ? -1 : 1));
  const files: ModelCodeFile[] = [];
  for (const f of found) {
    const st = await lstat(join(dir, f.path));
    files.push({ path: f.path, kind: f.kind, sizeBytes: st.size, sha256: f.kind === 'python' ? await hashOf(join(dir, f.path)) : null });
  }
  if (autoMap.length === 0 && files.length === 0) return null;
  return { autoMap, files };
}

/** The warning an inspection shows for a folder that ships code. */
export function modelCodeWarning(code: ModelCode): string {
  const py = code.files.filter((f) => f.kind === 'python').map((f) => f.path);
  const pickles = code.files.filter((f) => f.kind === 'pickle').map((f) => f.path);
  const parts: string[] = [];
  if (code.autoMap.length)
    parts.push(
      `its ${[...new Set(code.autoMap.map((a) => a.source))].join(' and ')} ask${code.autoMap.length === 1 ? 's' : ''} transformers to load ${[...new Set(code.autoMap.map((a) => a.ref))].join(', ')} from the folder`,
    );
  if (py.length) parts.push(`it ships Python code (${py.slice(0, 5).join(', ')}${py.length > 5 ? `, +${py.length - 5} more` : ''})`);
  if (pickles.length) parts.push(`it has pickle checkpoints (${pickles.join(', ')}) that can run code when loaded`);
  return `This model runs its own code: ${parts.join('; ')}. Jobs refuse to run it unless you allow it for this model after reviewing the files.`;
}

/** Records what the user allows: every code file of the folder as it is now, each with its sha256. */
export async function consentForFolder(dir: string, now = Date.now()): Promise<CodeConsent> {
  const code = await findModelCode(dir);
  const files: CodeConsent['files'] = [];
  for (const f of code?.files ?? []) files.push({ path: f.path, kind: f.kind, sizeBytes: f.sizeBytes, sha256: f.sha256 ?? (await hashOf(join(dir, f.path))) });
  return { grantedAt: now, files };
}
