// Runs after `npm install` in the checkout: builds the app so `npx whittle` and `npm start` work at once.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
const r = spawnSync(process.execPath, [bin, 'build'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('whittle: building the app failed (see above); `npm run build` retries it.');
  process.exit(r.status ?? 1);
}
