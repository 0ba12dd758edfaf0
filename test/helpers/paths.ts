import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..');
export const builtCli = join(repoRoot, 'bin', 'whittle.js');
export const testOutput = join(repoRoot, 'test-output');

export function tempHome(label: string): string {
  return mkdtempSync(join(tmpdir(), `whittle-${label}-`));
}
