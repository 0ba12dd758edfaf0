// `npm start`: the Electron app where an Electron binary and a display exist, otherwise web mode
// (`whittle serve --open`), which serves the same UI to the default browser.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** The downloaded Electron binary, if any. (require('electron') would try a download; install does that.) */
function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const electron = electronBinary();
const [cmd, args, why] =
  electron && hasDisplay
    ? [electron, [root], 'Electron']
    : [
        process.execPath,
        [join(root, 'bin', 'whittle.js'), 'serve', '--open', ...process.argv.slice(2)],
        electron ? 'web mode (no display for Electron)' : 'web mode (no Electron binary installed)',
      ];
console.error(`Starting Whittle: ${why}`);
const child = spawn(cmd, args, { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
