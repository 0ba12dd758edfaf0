import type { Command } from 'commander';
import { SystemReport } from '../../../shared/hardware';
import { CliError, printJson, withEngine } from '../context';
import { formatBytes, table } from '../format';
import { waitForJob } from '../progress';

function printReport(r: SystemReport): void {
  const yes = Object.entries(r.cpu.features)
    .filter(([, v]) => v)
    .map(([k]) => k);
  const out = [
    `OS        ${r.os.distro} (${r.os.platform} ${r.os.release}, ${r.os.arch})`,
    `CPU       ${r.cpu.brand}, ${r.cpu.physicalCores} cores / ${r.cpu.logicalCores} threads${r.cpu.speedGHz ? `, ${r.cpu.speedGHz} GHz` : ''}`,
    `Features  ${yes.join(' ') || '(none of the notable ones)'}`,
    `Memory    ${formatBytes(r.memory.totalBytes)} total, ${formatBytes(r.memory.availableBytes)} available`,
    `llama.cpp ${r.llama.version ?? 'not available'}; backend ${r.llama.selectedBackend}; binaries for: cpu${r.llama.supportedGpuBackends.map((b) => `, ${b}`).join('')}${r.llama.error ? ` (error: ${r.llama.error})` : ''}`,
    `GPUs      ${[...r.llama.gpus, ...r.systemGpus].map((g) => `${g.name}${g.vramBytes ? ` (${formatBytes(g.vramBytes)})` : ''}`).join('; ') || 'none found'}`,
    `ONNX RT   ${r.onnxRuntime.version ?? 'not available'}; providers: ${r.onnxRuntime.executionProviders.map((p) => `${p.name}${p.bundled ? '' : ' (needs install)'}`).join(', ')}`,
    '',
    table([['MOUNT', 'FS', 'SIZE', 'FREE'], ...r.disks.map((d) => [d.mount, d.type, formatBytes(d.sizeBytes), formatBytes(d.freeBytes)])]),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerSystem(program: Command): void {
  program
    .command('system')
    .description('Run a system report: CPU features, memory, disks, GPUs, llama.cpp and ONNX Runtime backends')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withEngine(async (engine) => {
        const started = engine.api.jobs.start({ kind: 'system-report', input: {} });
        const job = await waitForJob(engine, started.id, { bar: !opts.json, title: 'System report' });
        if (job.state !== 'succeeded') throw new CliError(`System report ${job.state}: ${job.error ?? ''}`);
        const report = SystemReport.parse(job.result);
        if (opts.json) printJson(report);
        else printReport(report);
      });
    });
}
