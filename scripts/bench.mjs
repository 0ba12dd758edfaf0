// `npm run bench -- <name> [args]`: runs bench/<name>.mjs. With no name, lists the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'bench');
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.replace(/\.mjs$/, ''));
if (!name || !existsSync(join(dir, `${name}.mjs`))) {
  console.error(`${name ? `No benchmark "${name}". ` : ''}Benchmarks: ${available.join(', ')}\nUsage: npm run bench -- <name> [--json]`);
  process.exit(name ? 1 : 0);
}
// Under tsx, so benchmarks can share the TypeScript test helpers (the Chromium launcher, fixtures).
const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${name}.mjs`), ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
