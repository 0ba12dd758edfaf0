import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { pythonResourcesDir, resourcesDir } from './resources';

export interface UvPin {
  version: string;
  index: string;
  wheels: Record<string, { file: string; sha256: string }>;
}

export const uvExe = (): string => (process.platform === 'win32' ? 'uv.exe' : 'uv');

export async function readUvPin(): Promise<UvPin> {
  return JSON.parse(await readFile(join(pythonResourcesDir(), 'uv-pin.json'), 'utf8')) as UvPin;
}

/** The package index uv and this bootstrap use: the user's UV_DEFAULT_INDEX / UV_INDEX_URL (a mirror), else the pin's. */
export function packageIndex(pin: UvPin, env: NodeJS.ProcessEnv = process.env): string {
  return (env.UV_DEFAULT_INDEX ?? env.UV_INDEX_URL ?? pin.index).replace(/\/+$/, '');
}

interface SimpleFile {
  filename: string;
  url: string;
  hashes: Record<string, string>;
}

async function wheelUrl(index: string, file: string, signal?: AbortSignal): Promise<string> {
  const page = `${index}/uv/`;
  const res = await fetch(page, { headers: { Accept: 'application/vnd.pypi.simple.v1+json' }, signal });
  if (!res.ok) throw new Error(`${page}: HTTP ${res.status} while looking up ${file}`);
  const body = (await res.json()) as { files?: SimpleFile[] };
  const entry = body.files?.find((f) => f.filename === file);
  if (!entry) throw new Error(`${page} does not list ${file}`);
  return new URL(entry.url, page).toString();
}

/**
 * The pinned uv binary in <cache>/uv/<version>/. WHITTLE_UV points at one to use instead (a packaged app ships it
 * as an extra resource). Otherwise the pinned wheel is fetched from the package index, its sha256 checked against
 * the pin (not against what the index says), and only the binary is unpacked.
 */
export async function ensureUv(
  cacheDir: string,
  log: (line: string) => void,
  signal?: AbortSignal,
  pinned?: UvPin,
): Promise<{ path: string; version: string; fetched: boolean }> {
  const pin = pinned ?? (await readUvPin());
  if (process.env.WHITTLE_UV) return { path: process.env.WHITTLE_UV, version: pin.version, fetched: false };
  const shipped = join(resourcesDir(), 'uv', uvExe());
  if (existsSync(shipped)) return { path: shipped, version: pin.version, fetched: false };
  const dir = join(cacheDir, 'uv', pin.version);
  const bin = join(dir, uvExe());
  if (existsSync(bin)) return { path: bin, version: pin.version, fetched: false };
  const platform = `${process.platform}-${process.arch}`;
  const wheel = pin.wheels[platform];
  if (!wheel) throw new Error(`no uv ${pin.version} wheel is pinned for ${platform} (resources/python/uv-pin.json)`);
  const url = await wheelUrl(packageIndex(pin), wheel.file, signal);
  log(`fetching ${url}`);
  const res = await fetch(url, { signal });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const data = new Uint8Array(await res.arrayBuffer());
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== wheel.sha256) throw new Error(`${wheel.file}: sha256 ${sha256} does not match the pinned ${wheel.sha256}; refusing to run it`);
  const member = `uv-${pin.version}.data/scripts/${uvExe()}`;
  const files = unzipSync(data, { filter: (f) => f.name === member });
  const exe = files[member];
  if (!exe) throw new Error(`${wheel.file} has no ${member}`);
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  await writeFile(tmp, exe);
  await chmod(tmp, 0o755);
  await rename(tmp, bin).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
  return { path: bin, version: pin.version, fetched: true };
}
