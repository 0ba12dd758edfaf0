import type { Command } from 'commander';
import { defaultCacheDir } from '../../engine/config';
import { findLlamaTools } from '../../engine/toolchain/llama-build';
import { LLAMA_BACKENDS, llamaSource, type LlamaBackend } from '../../engine/toolchain/llama-source';
import { CliError, printJson, withEngine } from '../context';
import { waitForJob } from '../progress';

export function registerToolchain(program: Command): void {
  const toolchain = program.command('toolchain').description('Build and check the bundled toolchains (llama.cpp tools)');

  toolchain
    .command('install <component>')
    .description('Build the llama.cpp tools from the source shipped with node-llama-cpp into the toolchain cache (WHITTLE_CACHE)')
    .option('--backend <backend>', `${LLAMA_BACKENDS.join(', ')}`, 'cpu')
    .option('--json', 'machine-readable output')
    .action(async (component: string, opts: { backend: string; json?: boolean }) => {
      if (component !== 'llama') throw new CliError(`unknown component "${component}" (available: llama)`);
      if (!(LLAMA_BACKENDS as readonly string[]).includes(opts.backend)) throw new CliError(`--backend: one of ${LLAMA_BACKENDS.join(', ')}`);
      await withEngine(async (engine) => {
        const job = engine.api.jobs.start({ kind: 'toolchain.install', input: { component: 'llama', backend: opts.backend as LlamaBackend } });
        const done = await waitForJob(engine, job.id, { bar: !opts.json, title: 'llama.cpp tools' });
        if (opts.json) printJson(done);
        if (done.state !== 'succeeded') throw new CliError(`toolchain install ${done.state}: ${(done.error ?? '').split('\n')[0]}`);
        if (!opts.json) process.stdout.write(`${(done.result as { dir: string }).dir}\n`);
      });
    });

  toolchain
    .command('status')
    .description('What is built, where, and for which llama.cpp version')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const cache = defaultCacheDir();
      const src = llamaSource();
      const llama = await Promise.all(LLAMA_BACKENDS.map(async (backend) => ({ backend, build: await findLlamaTools(cache, backend) })));
      const status = { cacheDir: cache, llamaCpp: src.tag, llama: llama.map((l) => ({ backend: l.backend, ready: !!l.build, dir: l.build?.dir ?? null, tools: l.build?.manifest.tools ?? [] })) };
      if (opts.json) return printJson(status);
      process.stdout.write(`cache     ${cache}\nllama.cpp ${src.tag}\n`);
      for (const l of status.llama) process.stdout.write(`llama tools (${l.backend}): ${l.ready ? `ready in ${l.dir}` : `not built (whittle toolchain install llama --backend ${l.backend})`}\n`);
    });
}
