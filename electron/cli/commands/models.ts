import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { GGUF_OUTTYPES, ModelFormat, type LibraryModel, type ModelInspection } from '../../../shared/models';
import type { Engine } from '../../engine';
import { CliError, printJson, withEngine } from '../context';
import { formatBytes, table } from '../format';
import { waitForJob } from '../progress';
import { registerModelLoading } from './chat';

/** "This model runs its own code: …" with each file, its size and sha256 (as the user is asked to review them). */
export function describeModelCode(m: LibraryModel): string {
  const code = m.inspection.modelCode;
  if (!code) return `${m.name} ships no code.`;
  const lines = [`${m.name} (${m.path}) runs its own code:`];
  for (const a of code.autoMap) lines.push(`  ${a.source}: ${a.autoClass} -> ${a.ref}`);
  for (const f of code.files) lines.push(`  ${f.path}  ${f.kind}  ${formatBytes(f.sizeBytes)}${f.sha256 ? `  sha256 ${f.sha256}` : ''}`);
  return lines.join('\n');
}

/** Records the consent and lists what it covers on stderr (stdout stays the command's own output). */
async function trustModelCode(engine: Engine, m: LibraryModel): Promise<LibraryModel> {
  const trusted = await engine.api.models.trustCode({ id: m.id, trust: true });
  const files = trusted.codeConsent?.files ?? [];
  process.stderr.write(
    `Allowing ${trusted.name} to run its own code in jobs, exactly these files:\n${files.map((f) => `  ${f.path}  ${f.kind}  sha256 ${f.sha256}`).join('\n') || '  (no files: auto_map only)'}\n`,
  );
  return trusted;
}

export function formatParams(n: number | null): string {
  if (n === null) return '-';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** The stable machine-readable shape of `models inspect --json`. */
export function inspectJson(i: ModelInspection, extra: { id?: string; path: string; sha256: string | null }): Record<string, unknown> {
  return {
    ...extra,
    format: i.format,
    architecture: i.architecture,
    name: i.name,
    parameters: i.parameterCount,
    quantization: i.quantization,
    contextLength: i.contextLength,
    vocabSize: i.vocabSize,
    sizeBytes: i.sizeBytes,
    chatTemplate: i.chatTemplate,
    modelCode: i.modelCode,
    specialTokens: i.specialTokens,
    license: i.license,
    tensorTypes: i.tensorTypes,
    files: i.files,
    inspection: i,
  };
}

function printInspection(i: ModelInspection, head: [string, string][]): void {
  const rows: [string, string][] = [
    ...head,
    ['format', i.format],
    ['architecture', i.architecture ?? '-'],
    ['parameters', formatParams(i.parameterCount)],
    ['quantization', i.quantization ?? '-'],
    ['size', formatBytes(i.sizeBytes)],
    ['context', i.contextLength === null ? '-' : String(i.contextLength)],
    ['vocab', i.vocabSize === null ? '-' : String(i.vocabSize)],
    ['layers', i.layerCount === null ? '-' : String(i.layerCount)],
    ['license', i.license ?? '-'],
    [
      'special tokens',
      Object.entries(i.specialTokens)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ') || '-',
    ],
  ];
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(15)}${v}`).join('\n')}\n`);
  if (i.tensorTypes.length) {
    process.stdout.write(
      `\ntensors\n${table([['FAMILY', 'TYPE', 'TENSORS', 'PARAMS'], ...i.tensorTypes.map((t) => [t.family, t.type, String(t.tensors), formatParams(t.parameters)])])}\n`,
    );
  }
  if (i.chatTemplateExample) process.stdout.write(`\nchat template, rendered\n${i.chatTemplateExample}\n`);
  else if (i.chatTemplateError) process.stdout.write(`\nchat template error: ${i.chatTemplateError}\n`);
  for (const w of i.warnings) process.stdout.write(`warning: ${w}\n`);
}

export function modelRow(m: LibraryModel): string[] {
  return [
    m.id,
    m.name,
    m.format,
    m.inspection.architecture ?? '-',
    formatParams(m.inspection.parameterCount),
    m.inspection.quantization ?? '-',
    formatBytes(m.sizeBytes),
    m.source,
    m.tags.join(','),
  ];
}

/** Waits for an import/download job and prints the model it added, or fails with the job's error. */
export async function finishModelJob(engine: Engine, jobId: string, json: boolean, title: string): Promise<void> {
  const job = await waitForJob(engine, jobId, { bar: !json, title });
  if (job.state !== 'succeeded') {
    if (json) printJson(job);
    const hint =
      job.state === 'interrupted' || job.state === 'paused' ? ' (partial data is kept: run the same command again, or `whittle jobs` to resume)' : '';
    throw new CliError(`${title} ${job.state}: ${(job.error ?? job.progress.message).split('\n')[0]}${hint}`);
  }
  const [artifact] = engine.artifacts.list({ jobId, kind: 'model', limit: 1 });
  if (!artifact) throw new CliError(`${title}: the job succeeded but registered no model`);
  const model = engine.api.models.get(artifact.id);
  if (json) return printJson(model);
  process.stdout.write(`Added ${model.name} (${model.id})\n`);
  printInspection(model.inspection, [
    ['path', model.path],
    ['sha256', model.sha256],
    ['source', `${model.source}${model.sourceRef ? ` ${model.sourceRef}` : ''}`],
  ]);
}

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('The model library: import, list, inspect, update and remove models; load and unload them in `whittle serve`');
  registerModelLoading(models);

  models
    .command('import <path>')
    .description('Add a GGUF file (or split set), an ONNX folder or a Hugging Face model folder to the library')
    .option('--copy', 'copy the files into the library (default: register them where they are)')
    .option('--name <name>', 'display name')
    .option('--tag <tags...>', 'tags')
    .option('--json', 'machine-readable output')
    .action(async (path: string, opts: { copy?: boolean; name?: string; tag?: string[]; json?: boolean }) => {
      if (!existsSync(path)) throw new CliError(`${path}: no such file or folder`);
      await withEngine(async (engine) => {
        const job = engine.api.models.import({ path, mode: opts.copy ? 'copy' : 'reference', name: opts.name, tags: opts.tag ?? [] });
        await finishModelJob(engine, job.id, !!opts.json, 'Import');
      });
    });

  models
    .command('convert <model>')
    .description("Convert a Hugging Face checkpoint in the library to GGUF with llama.cpp's converter (needs the Python toolchain)")
    .option('--outtype <type>', `${GGUF_OUTTYPES.join(', ')}`, 'f16')
    .option('--name <name>', 'display name of the GGUF')
    .option(
      '--trust-remote-code',
      "allow the model's own code (auto_map classes, *.py, pickles) to run in this and later jobs on it; lists the files and their sha256 first",
    )
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { outtype: string; name?: string; trustRemoteCode?: boolean; json?: boolean }) => {
      if (!(GGUF_OUTTYPES as readonly string[]).includes(opts.outtype)) throw new CliError(`--outtype: one of ${GGUF_OUTTYPES.join(', ')}`);
      await withEngine(async (engine) => {
        let found = engine.library.find(model);
        if (!found) throw new CliError(`No model with id or path ${model}`);
        if (opts.trustRemoteCode) found = await trustModelCode(engine, found);
        else if (found.inspection.modelCode && !found.codeConsent) {
          process.stderr.write(
            `${describeModelCode(found)}\nThe conversion refuses to run that code; if it needs it, review the files and convert again with --trust-remote-code.\n`,
          );
        }
        const job = engine.api.models.convert({ modelId: found.id, to: 'gguf', outtype: opts.outtype as (typeof GGUF_OUTTYPES)[number], name: opts.name });
        await finishModelJob(engine, job.id, !!opts.json, 'Convert');
      });
    });

  models
    .command('trust <model>')
    .description(
      "Allow jobs to run the model's own code (auto_map classes, *.py files, pickle checkpoints): records each file's sha256; a file that changes later is refused again",
    )
    .option('--revoke', 'withdraw the permission')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { revoke?: boolean; json?: boolean }) => {
      await withEngine(async (engine) => {
        const found = engine.library.find(model);
        if (!found) throw new CliError(`No model with id or path ${model}`);
        if (opts.revoke) {
          const m = await engine.api.models.trustCode({ id: found.id, trust: false });
          if (opts.json) return printJson({ id: m.id, codeConsent: m.codeConsent });
          return void process.stdout.write(`${m.name}: its code will no longer run in jobs.\n`);
        }
        const m = await trustModelCode(engine, found);
        if (opts.json) printJson({ id: m.id, codeConsent: m.codeConsent });
      });
    });

  models
    .command('list')
    .description('List the models in the library')
    .option('--format <format>', `only this format (${ModelFormat.options.join(', ')})`)
    .option('--search <text>', 'filter by name, architecture, quantization, tag or source')
    .option('--json', 'machine-readable output')
    .action(async (opts: { format?: string; search?: string; json?: boolean }) => {
      const format = opts.format === undefined ? undefined : ModelFormat.safeParse(opts.format);
      if (format && !format.success) throw new CliError(`--format: unknown format "${opts.format}" (one of ${ModelFormat.options.join(', ')})`);
      await withEngine((engine) => {
        const list = engine.api.models.list({ format: format?.data, search: opts.search, limit: 5000 });
        if (opts.json) return printJson(list);
        if (!list.length) return void process.stdout.write('No models. Add one with `whittle models import <path>` or `whittle pull hf:owner/name`.\n');
        process.stdout.write(`${table([['ID', 'NAME', 'FORMAT', 'ARCH', 'PARAMS', 'QUANT', 'SIZE', 'SOURCE', 'TAGS'], ...list.map(modelRow)])}\n`);
      });
    });

  models
    .command('inspect <id-or-path>')
    .description('Show what a model is (from the library, or any path, inspected out of process)')
    .option('--no-hash', 'for a path outside the library: skip computing sha256')
    .option('--json', 'machine-readable output')
    .action(async (target: string, opts: { hash: boolean; json?: boolean }) => {
      await withEngine(async (engine) => {
        const known = engine.library.find(target);
        if (known) {
          if (opts.json) return printJson(inspectJson(known.inspection, { id: known.id, path: known.path, sha256: known.sha256 }));
          return printInspection(known.inspection, [
            ['id', known.id],
            ['name', known.name],
            ['path', known.path],
            ['sha256', known.sha256],
          ]);
        }
        if (!existsSync(target)) throw new CliError(`${target}: not a model id in the library, nor a file or folder`);
        const job = await waitForJob(engine, engine.api.models.inspectPath(target, opts.hash).id, { bar: !opts.json, title: 'Inspect' });
        if (job.state !== 'succeeded') throw new CliError(`Inspect failed: ${(job.error ?? job.state).split('\n')[0]}`);
        const r = job.result as { entry: string; sha256: string | null; inspection: ModelInspection };
        if (opts.json) return printJson(inspectJson(r.inspection, { path: r.entry, sha256: r.sha256 }));
        printInspection(r.inspection, [
          ['path', r.entry],
          ['sha256', r.sha256 ?? '-'],
        ]);
      });
    });

  models
    .command('set <id>')
    .description('Rename a model, or set its tags or notes')
    .option('--name <name>', 'new display name')
    .option('--tags <tags...>', 'replace the tags')
    .option('--notes <text>', 'replace the notes')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { name?: string; tags?: string[]; notes?: string; json?: boolean }) => {
      await withEngine((engine) => {
        const m = engine.api.models.update({ id, name: opts.name, tags: opts.tags, notes: opts.notes });
        if (opts.json) return printJson(m);
        process.stdout.write(`${table([['ID', 'NAME', 'FORMAT', 'ARCH', 'PARAMS', 'QUANT', 'SIZE', 'SOURCE', 'TAGS'], modelRow(m)])}\n`);
      });
    });

  models
    .command('rm <id>')
    .description('Remove a model from the library (files are deleted only if Whittle made or copied them)')
    .option('--force', 'remove even though other artifacts were derived from it')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { force?: boolean; json?: boolean }) => {
      await withEngine(async (engine) => {
        const r = await engine.api.models.remove({ id, force: !!opts.force });
        if (opts.json) return printJson(r);
        process.stdout.write(`Removed ${id}${r.deletedFiles ? ' and its files' : ' (its files stay where they are)'}\n`);
      });
    });

  models
    .command('fit <id>')
    .description('Estimate the memory a model needs at a context length and whether it fits this machine')
    .option('--ctx <n>', 'context length', (v) => Number.parseInt(v, 10), 4096)
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { ctx: number; json?: boolean }) => {
      await withEngine(async (engine) => {
        const fit = await engine.api.models.memoryFit({ id, contextSize: opts.ctx });
        if (opts.json) return printJson(fit);
        process.stdout.write(`${fit.summary}\n`);
      });
    });

  models
    .command('hf-cache')
    .description('List models in your Hugging Face cache (HF_HUB_CACHE / HF_HOME); --import registers them without copying')
    .option('--import', 'add every model not yet in the library, by reference')
    .option('--json', 'machine-readable output')
    .action(async (opts: { import?: boolean; json?: boolean }) => {
      await withEngine(async (engine) => {
        let found = await engine.api.models.hfCache();
        if (opts.import) {
          for (const e of found.filter((x) => !x.modelId)) {
            const job = await waitForJob(engine, engine.api.models.import({ path: e.path, mode: 'reference', tags: [] }).id, {
              bar: !opts.json,
              title: e.repo,
            });
            if (job.state !== 'succeeded') process.stderr.write(`${e.repo}: ${(job.error ?? job.state).split('\n')[0]}\n`);
          }
          found = await engine.api.models.hfCache();
        }
        if (opts.json) return printJson(found);
        if (!found.length) return void process.stdout.write('No models in the Hugging Face cache.\n');
        process.stdout.write(
          `${table([['REPO', 'FORMAT', 'SIZE', 'REVISION', 'IN LIBRARY', 'PATH'], ...found.map((e) => [e.repo, e.format, formatBytes(e.sizeBytes), e.revision.slice(0, 10), e.modelId ?? '-', e.path])])}\n`,
        );
      });
    });
}
