import type { Command } from 'commander';
import { formatBytes } from '../../../shared/format-bytes';
import { TOOLCHAIN_COMPONENTS, type ToolchainComponent, type ToolchainStatus } from '../../../shared/toolchain';
import { defaultCacheDir } from '../../engine/config';
import { LLAMA_BACKENDS, type LlamaBackend } from '../../engine/toolchain/llama-source';
import { toolchainStatus } from '../../engine/toolchain/toolchain-status';
import { ensureUv } from '../../engine/toolchain/uv-bootstrap';
import { CliError, printJson, withEngine } from '../context';
import { table } from '../format';
import { waitForJob } from '../progress';

const TITLES: Record<ToolchainComponent, string> = { llama: 'llama.cpp tools', python: 'Python toolchain' };

export function printToolchainStatus(status: ToolchainStatus): void {
  process.stdout.write(`cache  ${status.cacheDir}\n\n`);
  for (const c of status.components) {
    process.stdout.write(`${c.title}: ${c.state.toUpperCase()}${c.version ? ` (${c.version})` : ''}\n  ${c.detail}\n`);
    if (c.dir)
      process.stdout.write(
        `  ${c.dir}${c.sizeBytes ? `, ${formatBytes(c.sizeBytes)}` : ''}${c.buildSeconds !== null ? `, built in ${c.buildSeconds} s` : ''}\n`,
      );
    const bad = c.items.filter((i) => !i.ok);
    if (c.items.length) process.stdout.write(`${table(c.items.map((i) => ['   ', i.name, i.version ?? '-', i.ok ? 'ok' : (i.problem ?? 'problem')]))}\n`);
    if (c.fix) process.stdout.write(`  fix: ${c.fix.command}${bad.length ? ` (${bad.length} problem${bad.length === 1 ? '' : 's'})` : ''}\n`);
    process.stdout.write('\n');
  }
  process.stdout.write(`NPUs: ${status.npus.length ? status.npus.map((n) => `${n.name} [${n.source}]`).join('; ') : 'none detected'}\n`);
  process.stdout.write(`ONNX Runtime providers (Python): ${status.pythonProviders?.join(', ') ?? 'not known (install the Python toolchain)'}\n`);
}

export function registerToolchain(program: Command): void {
  const toolchain = program.command('toolchain').description('Install, check and repair the bundled toolchains (llama.cpp tools, the Python env)');

  toolchain
    .command('install <component>')
    .description(
      'llama: build the llama.cpp tools from the source in node-llama-cpp. python: create the pinned Python env from resources/python/uv.lock. Both go into the toolchain cache (WHITTLE_CACHE).',
    )
    .option('--backend <backend>', `llama: ${LLAMA_BACKENDS.join(', ')}`, 'cpu')
    .option('--repair', 'python: reinstall whatever the check finds broken or missing')
    .option('--fixtures', 'python: also install the test fixtures group (Gemma 3 270M GGUF)')
    .option('--json', 'machine-readable output')
    .action(async (component: string, opts: { backend: string; repair?: boolean; fixtures?: boolean; json?: boolean }) => {
      if (!(TOOLCHAIN_COMPONENTS as readonly string[]).includes(component))
        throw new CliError(`unknown component "${component}" (available: ${TOOLCHAIN_COMPONENTS.join(', ')})`);
      if (!(LLAMA_BACKENDS as readonly string[]).includes(opts.backend)) throw new CliError(`--backend: one of ${LLAMA_BACKENDS.join(', ')}`);
      const c = component as ToolchainComponent;
      await withEngine(async (engine) => {
        const job = engine.api.toolchain.install({ component: c, backend: opts.backend as LlamaBackend, repair: !!opts.repair, fixtures: !!opts.fixtures });
        const done = await waitForJob(engine, job.id, { bar: !opts.json, title: TITLES[c] });
        if (opts.json) printJson(done);
        if (done.state !== 'succeeded') throw new CliError(`toolchain install ${c} ${done.state}: ${done.error ?? ''}`);
        if (!opts.json) process.stdout.write(`${(done.result as { dir: string }).dir}\n`);
      });
    });

  toolchain
    .command('uv')
    .description('Fetch the pinned uv (sha256-checked) into the toolchain cache and print its path (packaging uses this)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const uv = await ensureUv(defaultCacheDir(), (line) => process.stderr.write(`${line}\n`));
      if (opts.json) printJson(uv);
      else process.stdout.write(`${uv.path}\n`);
    });

  toolchain
    .command('status')
    .description('What is installed, where, which versions, what is missing or broken, and the command that fixes it')
    .option('--deep', 'also import every Python package (slow)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { deep?: boolean; json?: boolean }) => {
      const status = await toolchainStatus(defaultCacheDir(), !!opts.deep);
      if (opts.json) printJson(status);
      else printToolchainStatus(status);
    });
}
