import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { isRecord } from './util';

/** The licence from a model card's YAML front matter (license:, or license_name: when license is "other"). */
export async function readmeLicense(readme: string): Promise<{ license: string | null; warning?: string }> {
  let text: string;
  try {
    text = await readFile(readme, 'utf8');
  } catch {
    return { license: null };
  }
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(text);
  if (!m) return { license: null };
  let front: unknown;
  try {
    front = parse(m[1] ?? '');
  } catch (err) {
    return { license: null, warning: `${readme}: the YAML front matter does not parse (${(err as Error).message})` };
  }
  if (!isRecord(front)) return { license: null };
  const name = typeof front.license_name === 'string' ? front.license_name : null;
  const raw = front.license;
  const license = Array.isArray(raw) ? raw.filter((x) => typeof x === 'string').join(', ') : typeof raw === 'string' ? raw : null;
  if (name && (!license || license === 'other')) return { license: name };
  return { license: license || null };
}
