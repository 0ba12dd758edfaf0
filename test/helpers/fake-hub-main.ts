/**
 * The fake Hub as its own process, for tests and benchmarks that need it outside their event loop:
 *
 *   node --import tsx test/helpers/fake-hub-main.ts spec.json
 *
 * spec.json is FakeHubOptions; a file's `data` is a string (UTF-8 text), `{ "base64": "..." }` or
 * `{ "sizeBytes": N, "seed": S }`. Prints one JSON line `{"url": "..."}` and serves until SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { startFakeHub, type FakeHubOptions, type FakeFileSpec } from './fake-hub';

type JsonFile = Omit<FakeFileSpec, 'data'> & { data: string | { base64: string } | { sizeBytes: number; seed: number } };
type JsonSpec = Omit<FakeHubOptions, 'repos'> & { repos: (Omit<FakeHubOptions['repos'][number], 'files'> & { files: JsonFile[] })[] };

async function main(): Promise<void> {
  const specPath = process.argv[2];
  if (!specPath) throw new Error('usage: fake-hub-main.ts <spec.json>');
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as JsonSpec;
  const hub = await startFakeHub({
    ...spec,
    repos: spec.repos.map((r) => ({
      ...r,
      files: r.files.map((f) => ({ ...f, data: typeof f.data === 'object' && 'base64' in f.data ? Buffer.from(f.data.base64, 'base64') : f.data })),
    })),
  });
  process.stdout.write(`${JSON.stringify({ url: hub.url })}\n`);
  const stop = () => void hub.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
