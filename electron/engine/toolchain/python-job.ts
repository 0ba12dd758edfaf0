import { startProcess } from '../process/supervisor';
import { pythonJobEnv, type PythonJobGuard } from './python-env';

/** One JSON object per line on the script's stdout (resources/python/whittle_jobs/protocol.py). */
export type PythonEvent =
  | { event: 'progress'; fraction: number | null; message: string }
  | { event: 'metric'; name: string; value: number | string; unit: string | null; step?: number | null }
  | { event: 'artifact'; path: string; kind: string; meta: Record<string, unknown> }
  | { event: 'result'; data: Record<string, unknown> }
  | { event: 'error'; message: string; type: string; traceback: string | null };

export type PythonMetric = { name: string; value: number | string; unit: string | null; step: number | null };
export type PythonArtifact = { path: string; kind: string; meta: Record<string, unknown> };

export interface PythonJobHooks {
  progress?: (fraction: number | null, message: string) => void;
  log?: (line: string) => void;
  /** Each metric event as it arrives (the result also keeps each name's last value). */
  metric?: (m: PythonMetric) => void;
  /** Each artifact event as it arrives (the result also lists them all). */
  artifact?: (a: PythonArtifact) => void;
  signal?: AbortSignal;
  /** The parent environment to pick from (process.env by default); see pythonJobEnv. */
  env?: NodeJS.ProcessEnv;
  /** The models the job works on and the user's consent to run their code; none may run without it. */
  guard?: PythonJobGuard;
  /** Secrets a job needs (a download's HF_TOKEN); no other job sees any. */
  secrets?: Record<string, string>;
  cwd?: string;
}

export interface PythonJobResult {
  result: Record<string, unknown>;
  metrics: Record<string, { value: number | string; unit: string | null }>;
  artifacts: PythonArtifact[];
}

export class PythonJobError extends Error {
  constructor(
    message: string,
    readonly pythonType: string | null,
    readonly traceback: string | null,
    readonly logTail: string[],
  ) {
    super(message);
    this.name = 'PythonJobError';
  }
}

const TAIL = 20;

/**
 * Runs `python -m whittle_jobs.<module> ...args` and folds its events into one result. A Python exception becomes a
 * PythonJobError with the exception's message first and the last log lines after it; a crash without an error event
 * (segfault, OOM kill) says how the process ended, with the same tail.
 */
export async function runPythonJob(python: string, module: string, args: string[], hooks: PythonJobHooks = {}): Promise<PythonJobResult> {
  const out: PythonJobResult = { result: {}, metrics: {}, artifacts: [] };
  let error: Extract<PythonEvent, { event: 'error' }> | null = null;
  const tail: string[] = [];
  const keep = (line: string): void => {
    hooks.log?.(line);
    tail.push(line);
    if (tail.length > TAIL) tail.shift();
  };
  const onEvent = (line: string): void => {
    let ev: PythonEvent;
    try {
      ev = JSON.parse(line) as PythonEvent;
    } catch {
      keep(line);
      return;
    }
    switch (ev.event) {
      case 'progress':
        hooks.progress?.(ev.fraction, ev.message);
        break;
      case 'metric':
        out.metrics[ev.name] = { value: ev.value, unit: ev.unit ?? null };
        hooks.log?.(`metric ${ev.name}${typeof ev.step === 'number' ? ` [${ev.step}]` : ''} = ${ev.value}${ev.unit ? ` ${ev.unit}` : ''}`);
        hooks.metric?.({ name: ev.name, value: ev.value, unit: ev.unit ?? null, step: typeof ev.step === 'number' ? ev.step : null });
        break;
      case 'artifact': {
        const a = { path: ev.path, kind: ev.kind, meta: ev.meta ?? {} };
        out.artifacts.push(a);
        hooks.artifact?.(a);
        break;
      }
      case 'result':
        out.result = { ...out.result, ...ev.data };
        break;
      case 'error':
        error = ev;
        break;
      default:
        keep(line);
    }
  };
  const job = startProcess({
    command: python,
    args: ['-m', `whittle_jobs.${module}`, ...args],
    cwd: hooks.cwd,
    env: pythonJobEnv(hooks.env ?? process.env, { guard: hooks.guard, secrets: hooks.secrets }),
    signal: hooks.signal,
    onLine: (line, stream) => (stream === 'stdout' ? onEvent(line) : keep(line)),
  });
  const { code, signal: sig, spawnError } = await job.exited;
  if (spawnError)
    throw new PythonJobError(
      `${python} could not start: ${spawnError.message}; repair the Python toolchain (whittle toolchain install python --repair)`,
      null,
      null,
      [],
    );
  if (hooks.signal?.aborted) throw new PythonJobError('cancelled', null, null, tail);
  const e = error as Extract<PythonEvent, { event: 'error' }> | null;
  if (code === 0 && !e) return out;
  const lastLines = tail.filter((l) => l.trim()).slice(-12);
  const head = e ? e.message : `python ${module} ended with ${sig ? `signal ${sig}` : `exit code ${code}`} without reporting an error`;
  const shownTail = e?.type === 'JobError' ? [] : lastLines;
  throw new PythonJobError(
    shownTail.length ? `${head}\n--- last lines of the log ---\n${shownTail.join('\n')}` : head,
    e?.type ?? null,
    e?.traceback ?? null,
    lastLines,
  );
}
