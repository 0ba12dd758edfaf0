// Runs after `npm install` in the checkout: builds the app so `npx whittle` and `npm start` work at
// once, then fetches Electron's binary where the network allows (Electron 44 no longer does it at
// install). Without it the app runs in web mode, so a failed download is a note, not an error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('whittle: building the app failed (see above); `npm run build` retries it.');
  process.exit(build.status ?? 1);
}

const installer = join(root, 'node_modules', 'electron', 'install.js');
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !existsSync(installer)) process.exit(0);
const fetch = spawnSync(process.execPath, [installer], { cwd: root, encoding: 'utf8', timeout: 300_000 });
if (fetch.status === 0) console.log('whittle: Electron binary ready; `npm start` opens the desktop app.');
else {
  const why =
    `${fetch.stderr ?? ''}`
      .split('\n')
      .find((l) => /Error|error/.test(l))
      ?.trim() ?? 'download failed';
  console.log(`whittle: Electron's binary could not be downloaded (${why}); \`npm start\` runs web mode. Retry later with \`npx install-electron\`.`);
}
