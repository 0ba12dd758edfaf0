import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { HUB_LIBRARIES, HUB_SORTS, type HubSearchRequest } from '../../../shared/hub';
import { CliError, printJson, withEngine } from '../context';
import { formatBytes, table } from '../format';
import { finishModelJob, formatParams } from './models';

async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) data += String(chunk);
    return data.trim();
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Keep the token off the screen.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.includes(prompt)) process.stderr.write(prompt);
  };
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export function registerPull(program: Command): void {
  program
    .command('pull <uri>')
    .description('Download a model from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN honoured): hf:owner/name[@rev][/file][:QUANT]')
    .option('--name <name>', 'display name in the library')
    .option('--json', 'machine-readable output')
    .action(async (uri: string, opts: { name?: string; json?: boolean }) => {
      await withEngine(async (engine) => {
        const job = await engine.api.hub.pull({ uri, name: opts.name, tags: [] });
        await finishModelJob(engine, job.id, !!opts.json, `Pull ${uri}`);
      });
    });
}

export function registerHub(program: Command): void {
  const hub = program.command('hub').description('Search the Hugging Face Hub and manage your Hub token');

  hub
    .command('search [text...]')
    .description('Search models on the Hub')
    .option('--library <lib>', `only ${HUB_LIBRARIES.join(', ')} models`)
    .option('--author <owner>', 'only this owner')
    .option('--sort <key>', `sort by ${HUB_SORTS.join(', ')}`, 'downloads')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'machine-readable output')
    .action(async (text: string[], opts: { library?: string; author?: string; sort: string; limit: number; json?: boolean }) => {
      if (opts.library && !(HUB_LIBRARIES as readonly string[]).includes(opts.library)) throw new CliError(`--library: one of ${HUB_LIBRARIES.join(', ')}`);
      if (!(HUB_SORTS as readonly string[]).includes(opts.sort)) throw new CliError(`--sort: one of ${HUB_SORTS.join(', ')}`);
      await withEngine(async (engine) => {
        const req: HubSearchRequest = {
          query: text.join(' '),
          library: opts.library as HubSearchRequest['library'],
          author: opts.author,
          sort: opts.sort as HubSearchRequest['sort'],
          limit: opts.limit,
        };
        const found = await engine.api.hub.search(req);
        if (opts.json) return printJson(found);
        if (!found.length) return void process.stdout.write('No models found.\n');
        process.stdout.write(
          `${table([['MODEL', 'DOWNLOADS', 'LIKES', 'PARAMS', 'LIBRARY', 'GATED', 'UPDATED'], ...found.map((m) => [m.id, String(m.downloads), String(m.likes), formatParams(m.parameterCount), m.library ?? '-', m.gated ? String(m.gated) : '', m.updatedAt?.slice(0, 10) ?? ''])])}\n`,
        );
      });
    });

  hub
    .command('show <repo>')
    .description('Show a Hub model: licence, files with sizes, and the models it offers')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--json', 'machine-readable output')
    .action(async (repo: string, opts: { revision: string; json?: boolean }) => {
      await withEngine(async (engine) => {
        const d = await engine.api.hub.model(repo, opts.revision);
        if (opts.json) return printJson(d);
        process.stdout.write(`${d.id} @ ${d.sha}\nlicense ${d.license ?? '-'}  gated ${d.gated || 'no'}  downloads ${d.downloads}  likes ${d.likes}\n\n`);
        process.stdout.write(
          `${table([['MODEL', 'FORMAT', 'SIZE', 'FILES'], ...d.variants.map((v) => [v.label, v.format, formatBytes(v.sizeBytes), String(v.files.length)])])}\n\n`,
        );
        process.stdout.write(
          `${table([['FILE', 'SIZE', 'SHA256'], ...d.files.map((f) => [f.path, formatBytes(f.sizeBytes), f.lfsSha256?.slice(0, 16) ?? '(git)'])])}\n`,
        );
      });
    });

  hub
    .command('login')
    .description('Store a Hub token (read from stdin when piped); HF_TOKEN, when set, takes precedence')
    .action(async () => {
      const token = await readSecret('Hugging Face token: ');
      if (token.length < 8) throw new CliError('no token given');
      await withEngine(async (engine) => {
        const s = await engine.api.hub.setToken(token);
        if (s.error) throw new CliError(`Stored, but ${s.error}`);
        process.stdout.write(`Logged in to ${s.endpoint} as ${s.user}\n`);
      });
    });

  hub
    .command('logout')
    .description('Forget the stored Hub token')
    .action(async () => {
      await withEngine(async (engine) => {
        const s = await engine.api.hub.clearToken();
        process.stdout.write(s.source === 'env' ? 'Stored token removed; HF_TOKEN is still set in the environment.\n' : 'Stored token removed.\n');
      });
    });

  hub
    .command('whoami')
    .description('Which token is in use and whom the Hub says it belongs to')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await withEngine(async (engine) => {
        const s = await engine.api.hub.tokenStatus();
        if (opts.json) return printJson(s);
        if (!s.source) return void process.stdout.write(`No token (${s.endpoint}). Public models only.\n`);
        process.stdout.write(s.user ? `${s.user} on ${s.endpoint} (token from ${s.source})\n` : `${s.error}\n`);
        if (!s.user) process.exitCode = 1;
      });
    });
}
