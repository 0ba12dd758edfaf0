import { accessSync, constants, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { integrityCheck, schemaVersion } from '../../engine/store/database';
import { MIGRATIONS } from '../../engine/store/migrations';
import { defaultCacheDir, defaultDataDir } from '../../engine/config';
import { toolchainStatus } from '../../engine/toolchain/toolchain-status';
import { paths, printJson, withEngine } from '../context';
import { table } from '../format';

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix: string | null;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Check that this install can run: data dir, database, inference runtimes, built app')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const checks: DoctorCheck[] = [];
      const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
      checks.push(
        major > 20 || (major === 20 && minor >= 11)
          ? { name: 'Node.js', status: 'ok', detail: process.versions.node, fix: null }
          : { name: 'Node.js', status: 'fail', detail: `${process.versions.node} is older than 20.11`, fix: 'Install Node.js 20.11 or newer' },
      );
      const dataDir = defaultDataDir();
      await withEngine((engine) => {
        try {
          accessSync(engine.config.dataDir, constants.W_OK);
          checks.push({ name: 'Data dir', status: 'ok', detail: engine.config.dataDir, fix: null });
        } catch (err) {
          checks.push({ name: 'Data dir', status: 'fail', detail: errorText(err), fix: 'Set WHITTLE_HOME to a writable folder' });
        }
        const integrity = integrityCheck(engine.db);
        const version = schemaVersion(engine.db);
        checks.push(
          integrity.length === 1 && integrity[0] === 'ok'
            ? { name: 'Database', status: 'ok', detail: `schema v${version}/${MIGRATIONS.length}, integrity ok`, fix: null }
            : {
                name: 'Database',
                status: 'fail',
                detail: integrity.slice(0, 3).join('; '),
                fix: `Restore ${engine.config.dataDir}/whittle.db from a backup, or move it away to start fresh`,
              },
        );
      }).catch((err: unknown) => {
        checks.push({ name: 'Data dir', status: 'fail', detail: `${dataDir}: ${errorText(err)}`, fix: 'Set WHITTLE_HOME to a writable folder' });
        checks.push({ name: 'Database', status: 'fail', detail: 'not checked: the data dir is unusable', fix: null });
      });
      try {
        const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
        const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.error });
        checks.push({
          name: 'llama.cpp (node-llama-cpp)',
          status: 'ok',
          detail: `${llama.llamaCppRelease.release}, ${llama.buildType} binary, backend ${llama.gpu === false ? 'cpu' : llama.gpu}`,
          fix: null,
        });
        await llama.dispose();
      } catch (err) {
        checks.push({
          name: 'llama.cpp (node-llama-cpp)',
          status: 'fail',
          detail: errorText(err),
          fix: 'Run `npm install` again, or `npx --no node-llama-cpp source download` to build from source',
        });
      }
      try {
        const ort = await import('onnxruntime-node');
        const eps = ort.listSupportedBackends();
        checks.push({
          name: 'ONNX Runtime',
          status: 'ok',
          detail: `${ort.env.versions.node ?? '?'}; providers ${eps.map((e) => `${e.name}${e.bundled ? '' : '*'}`).join(', ')} (* = needs an extra install)`,
          fix: null,
        });
      } catch (err) {
        checks.push({ name: 'ONNX Runtime', status: 'fail', detail: errorText(err), fix: 'Run `npm install` again' });
      }
      try {
        const status = await toolchainStatus(defaultCacheDir());
        for (const c of status.components) {
          const problems = c.items.filter((i) => !i.ok).map((i) => `${i.name}: ${i.problem}`);
          const detail = [`${c.version ? `${c.version}: ` : ''}${c.detail}`, ...problems.slice(0, 5)].join('; ');
          checks.push({
            name: c.title,
            status: c.state === 'ready' ? 'ok' : c.state === 'missing' ? 'warn' : 'fail',
            detail: c.state === 'ready' ? `${detail} (${c.dir})` : detail,
            fix: c.fix?.command ?? null,
          });
        }
        checks.push({
          name: 'NPU',
          status: 'ok',
          detail: status.npus.length ? status.npus.map((n) => `${n.name} (${n.source})`).join('; ') : 'none detected',
          fix: null,
        });
      } catch (err) {
        checks.push({
          name: 'Toolchains',
          status: 'fail',
          detail: errorText(err),
          fix: 'Run `npm install` again (the llama.cpp source ships in node-llama-cpp)',
        });
      }
      checks.push(
        existsSync(`${paths.rendererDir}/index.html`)
          ? { name: 'App UI build', status: 'ok', detail: paths.rendererDir, fix: null }
          : { name: 'App UI build', status: 'fail', detail: 'renderer not built', fix: 'npm run build' },
      );
      if (opts.json) printJson({ ok: checks.every((c) => c.status !== 'fail'), checks });
      else {
        const rows = checks.map((c) => [c.status.toUpperCase(), c.name, c.detail + (c.fix ? `  -> fix: ${c.fix}` : '')]);
        process.stdout.write(`${table([['STATUS', 'CHECK', 'DETAIL'], ...rows])}\n`);
      }
      if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
    });
}
