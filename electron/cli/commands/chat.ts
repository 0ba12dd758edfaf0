import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { SamplingParams, type ChatMessage, type GenerationResult, type LoadOptions } from '../../../shared/inference';
import { formatBytes } from '../../../shared/format-bytes';
import type { Engine } from '../../engine';
import { backendFor, canRun } from '../../engine/inference/backends/registry';
import { resolveModelRef } from '../../engine/models/model-ref';
import { readServeToken } from '../../engine/server/session-auth';
import { isPidAlive } from '../../engine/util/processes';
import { CliError, printJson, withEngine } from '../context';

const int =
  (name: string) =>
  (v: string): number => {
    const n = Number.parseInt(v, 10);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`${name}: expected a non-negative integer, not "${v}"`);
    return n;
  };

function metricsLine(r: GenerationResult): string {
  const m = r.metrics;
  const f = (v: number | null, d = 1): string => (v === null ? '-' : v.toFixed(d));
  return `[${r.finishReason}] ${m.promptTokens} in / ${m.completionTokens} out${m.cachedTokens ? ` · ${m.cachedTokens} in cache` : ''} · TTFT ${f(m.ttftMs, 0)} ms · prompt ${f(m.promptTokensPerSec)} tok/s · gen ${f(m.genTokensPerSec)} tok/s · peak ${formatBytes(m.peakRssBytes)}`;
}

/** Id, path, name or slug of the name, as /v1's `model` takes it (models/model-ref.ts); a model a backend chats with wins a tie. */
function resolveModel(engine: Engine, ref: string): string {
  const known = engine.library.find(ref);
  if (known) return known.id;
  try {
    return resolveModelRef(engine.api.models.list({ limit: 5000 }), ref, { prefer: (m) => canRun(m.format, 'chat') && !m.missing }).id;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

interface LoadFlags {
  ctx: number;
  threads: number;
  parallel: number;
  idle: number;
  /** llama.cpp only. */
  gpu?: string;
  gpuLayers?: number | 'auto';
}

/** Load options for the model's backend (backends/registry.ts): the flags it has; a flag it lacks is refused. */
function loadOptionsFor(engine: Engine, modelId: string, f: LoadFlags): LoadOptions {
  let backend;
  try {
    backend = backendFor(engine.library.get(modelId));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const common = { contextSize: f.ctx, threads: f.threads, parallel: f.parallel, idleUnloadSeconds: f.idle };
  const llamaOnly = {
    ...(f.gpu !== undefined && f.gpu !== 'auto' ? { gpu: f.gpu } : {}),
    ...(f.gpuLayers !== undefined && f.gpuLayers !== 'auto' ? { gpuLayers: f.gpuLayers } : {}),
  };
  if (backend.runtime !== 'llama.cpp' && Object.keys(llamaOnly).length)
    throw new CliError(`--gpu and --gpu-layers are llama.cpp options; this model runs on ${backend.title}`);
  const options = backend.options.safeParse({ runtime: backend.runtime, ...common, ...llamaOnly });
  if (!options.success) throw new CliError(`invalid option: ${options.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return options.data;
}

/** The `whittle serve` using this data dir, if one is running (it records its URL in the settings). */
export function runningServer(engine: Engine): { url: string; pid: number } | null {
  const s = engine.settings.get<{ url: string; pid: number }>('serve.running');
  return s && isPidAlive(s.pid) ? s : null;
}

async function callServer(engine: Engine, url: string, path: string, input: unknown): Promise<unknown> {
  // The server's app API takes the session token it left in the data dir (0600) for this user's tools.
  const token = readServeToken(engine.config.dataDir);
  if (!token) throw new CliError(`The \`whittle serve\` at ${url} left no session token in ${engine.config.dataDir}: restart it`);
  const res = await fetch(`${url}/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string } };
  if (!res.ok) throw new CliError(body.error?.message ?? `HTTP ${res.status}`);
  return body.result?.data;
}

export function registerChat(program: Command): void {
  program
    .command('chat <model>')
    .description('Chat with a model from the library (interactive without --prompt); the model runs in its own worker process')
    .option('--prompt <text>', 'one prompt, answered, then exit')
    .option('--system <text>', 'system prompt')
    .option('--seed <n>', 'sampling seed', int('--seed'))
    .option('--max-tokens <n>', 'reply length limit', int('--max-tokens'), 512)
    .option('--temperature <t>', 'sampling temperature', (v) => Number(v), 0.7)
    .option('--ctx <n>', 'context size', int('--ctx'), 4096)
    .option('--threads <n>', 'CPU threads (0: the physical core count)', int('--threads'), 0)
    .option('--gpu <gpu>', 'auto, cpu, cuda, vulkan or metal', 'auto')
    .option('--json', 'machine-readable output (one JSON object per reply)')
    .action(
      async (
        ref: string,
        o: {
          prompt?: string;
          system?: string;
          seed?: number;
          maxTokens: number;
          temperature: number;
          ctx: number;
          threads: number;
          gpu: string;
          json?: boolean;
        },
      ) => {
        const params = SamplingParams.safeParse({ seed: o.seed, maxTokens: o.maxTokens, temperature: o.temperature });
        if (!params.success) throw new CliError(`invalid option: ${params.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        await withEngine(async (engine) => {
          const modelId = resolveModel(engine, ref);
          await engine.api.inference.load({
            modelId,
            options: loadOptionsFor(engine, modelId, { ctx: o.ctx, threads: o.threads, gpu: o.gpu, parallel: 1, idle: 0 }),
          });
          const history: ChatMessage[] = o.system ? [{ role: 'system', content: o.system }] : [];
          const ask = async (text: string): Promise<void> => {
            history.push({ role: 'user', content: text });
            const r = await engine.api.inference.chat({ modelId, messages: history, params: params.data }, (e) => {
              if (!o.json && e.type === 'text') process.stdout.write(e.text);
            });
            history.push({ role: 'assistant', content: r.text });
            if (o.json) printJson({ text: r.text, finishReason: r.finishReason, metrics: r.metrics });
            else process.stdout.write(`\n${metricsLine(r)}\n`);
          };
          if (o.prompt !== undefined) return ask(o.prompt);
          // Async iteration buffers lines that arrive while a reply is generating (piped input).
          const rl = createInterface({ input: process.stdin, terminal: false });
          if (!o.json) process.stdout.write('Type a message; /reset clears the conversation, /exit quits.\n> ');
          for await (const line of rl) {
            if (line.trim() === '/exit') break;
            if (line.trim() === '/reset') history.splice(o.system ? 1 : 0);
            else if (line.trim()) await ask(line);
            if (!o.json) process.stdout.write('> ');
          }
          rl.close();
        });
      },
    );
}

export function registerModelLoading(models: Command): void {
  models
    .command('load <model>')
    .description('Load a model into the running `whittle serve` (it stays loaded until unloaded or idle)')
    .option('--ctx <n>', 'context size per sequence', int('--ctx'), 4096)
    .option('--gpu-layers <n>', 'layers on the GPU (default auto)')
    .option('--parallel <n>', 'parallel sequences', int('--parallel'), 4)
    .option('--threads <n>', 'CPU threads (0: the physical core count)', int('--threads'), 0)
    .option('--idle <seconds>', 'unload after this long unused (0: never)', int('--idle'), 900)
    .option('--json', 'machine-readable output')
    .action(async (ref: string, o: { ctx: number; gpuLayers?: string; parallel: number; threads: number; idle: number; json?: boolean }) => {
      await withEngine(async (engine) => {
        const server = runningServer(engine);
        if (!server) throw new CliError(`No \`whittle serve\` is running for ${engine.config.dataDir}: start one first (loaded models live in the server)`);
        const gpuLayers = o.gpuLayers === undefined || o.gpuLayers === 'auto' ? 'auto' : int('--gpu-layers')(o.gpuLayers);
        const modelId = resolveModel(engine, ref);
        const loaded = await callServer(engine, server.url, 'inference.load', {
          modelId,
          options: loadOptionsFor(engine, modelId, { ctx: o.ctx, gpuLayers, parallel: o.parallel, threads: o.threads, idle: o.idle }),
        });
        if (o.json) printJson(loaded);
        else {
          const m = loaded as { name: string; backend: string; contextSize: number; gpuLayers: number };
          process.stdout.write(`Loaded ${m.name} in ${server.url} (${m.backend}, ${m.gpuLayers} GPU layers, context ${m.contextSize})\n`);
        }
      });
    });

  models
    .command('unload <model>')
    .description('Unload a model from the running `whittle serve`')
    .action(async (ref: string) => {
      await withEngine(async (engine) => {
        const server = runningServer(engine);
        if (!server) throw new CliError(`No \`whittle serve\` is running for ${engine.config.dataDir}`);
        await callServer(engine, server.url, 'inference.unload', { modelId: resolveModel(engine, ref) });
        process.stdout.write('Unloaded\n');
      });
    });
}
