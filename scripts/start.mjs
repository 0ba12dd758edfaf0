// `npm start`: the Electron app where an Electron binary and a display exist, otherwise web mode
// (`whittle serve --open`), which serves the same UI to the default browser.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    // The electron package exports the path of its binary, and throws when the download never happened.
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const electron = electronBinary();
const [cmd, args, why] =
  electron && hasDisplay
    ? [electron, [root], 'Electron']
    : [process.execPath, [join(root, 'bin', 'whittle.js'), 'serve', '--open', ...process.argv.slice(2)], electron ? 'web mode (no display for Electron)' : 'web mode (no Electron binary installed)'];
console.error(`Starting Whittle: ${why}`);
const child = spawn(cmd, args, { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
