// Stages what a packaged app ships beside app.asar (electron-builder extraResources, see electron-builder.yml):
// the llama.cpp tools prebuilt for this platform and backend, and the pinned uv binary. The Python env itself is
// not shipped: it is created on the user's machine from resources/python/uv.lock (platform wheels, ~3 GB).
// `node scripts/package-toolchains.mjs [--backend cpu|cuda|vulkan|metal]` (default: metal on macOS, else cpu).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const i = process.argv.indexOf('--backend');
const backend = i > 0 ? process.argv[i + 1] : process.platform === 'darwin' ? 'metal' : 'cpu';
const stage = join(root, 'build', 'toolchains');

function whittle(args) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'whittle.js'), ...args, '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`whittle ${args.join(' ')} failed:\n${r.stdout}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout);
}

rmSync(stage, { recursive: true, force: true });
const tools = whittle(['toolchain', 'install', 'llama', '--backend', backend]).result;
cpSync(tools.dir, join(stage, 'llama', basename(tools.dir)), { recursive: true });
const uv = whittle(['toolchain', 'uv']);
mkdirSync(join(stage, 'uv'), { recursive: true });
cpSync(uv.path, join(stage, 'uv', basename(uv.path)));
chmodSync(join(stage, 'uv', basename(uv.path)), 0o755);
console.log(`staged llama.cpp tools ${basename(tools.dir)} and uv ${uv.version} in ${stage}`);
