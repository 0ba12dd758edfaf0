import type { Command } from 'commander';
import { JOB_KINDS, JobState, StartJobRequest, isJobKind, jobKindTitle, type JobRecord } from '../../../shared/jobs';
import { CliError, printJson, withEngine } from '../context';
import { jobLine, table } from '../format';
import { waitForJob } from '../progress';

function printJob(job: JobRecord): void {
  const lines = [
    `id        ${job.id}`,
    `kind      ${job.kind}`,
    `state     ${job.state}`,
    `progress  ${job.progress.fraction === null ? '-' : `${Math.round(job.progress.fraction * 100)}%`} ${job.progress.message}`,
    `created   ${new Date(job.createdAt).toISOString()}`,
    `started   ${job.startedAt ? new Date(job.startedAt).toISOString() : '-'}`,
    `finished  ${job.finishedAt ? new Date(job.finishedAt).toISOString() : '-'}`,
    `input     ${JSON.stringify(job.input)}`,
  ];
  if (job.retryOf) lines.push(`retry of  ${job.retryOf}`);
  if (job.error) lines.push(`error     ${job.error}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function exitFor(job: JobRecord): void {
  if (job.state !== 'succeeded') process.exitCode = 1;
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('List, inspect, start, cancel and retry jobs');

  jobs
    .command('list')
    .description('List jobs, newest first')
    .option('--state <states...>', `only these states (${JobState.options.join(', ')})`)
    .option('--kind <kind>', 'only this kind')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 50)
    .option('--json', 'machine-readable output')
    .action(async (opts: { state?: string[]; kind?: string; limit: number; json?: boolean }) => {
      const states = opts.state?.map((s) => {
        const parsed = JobState.safeParse(s);
        if (!parsed.success) throw new CliError(`--state: unknown state "${s}" (one of ${JobState.options.join(', ')})`);
        return parsed.data;
      });
      await withEngine((engine) => {
        const list = engine.api.jobs.list({ states, kind: opts.kind, limit: opts.limit });
        if (opts.json) return printJson(list);
        if (!list.length) return void process.stdout.write('No jobs.\n');
        process.stdout.write(`${table([['ID', 'KIND', 'STATE', 'PROGRESS', 'TOOK', 'CREATED', 'MESSAGE'], ...list.map(jobLine)])}\n`);
      });
    });

  jobs
    .command('show <id>')
    .description('Show one job')
    .option('--log', 'also print its log')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { log?: boolean; json?: boolean }) => {
      await withEngine(async (engine) => {
        const job = engine.api.jobs.get(id);
        const log = opts.log ? (await engine.api.jobs.log(id, 1_000_000)).lines.map((l) => `${l}\n`).join('') : undefined;
        if (opts.json) return printJson(log === undefined ? job : { ...job, log });
        printJob(job);
        if (job.result !== null) process.stdout.write(`result    ${JSON.stringify(job.result).slice(0, 2000)}\n`);
        if (log !== undefined) process.stdout.write(`--- log ---\n${log}`);
      });
    });

  jobs
    .command('start <kind>')
    .description('Start a job of any kind and wait for it (e.g. `whittle jobs start system-report`)')
    .option('--input <json>', 'the job input as JSON', '{}')
    .option('--no-wait', 'return as soon as it is queued (it still needs this process: use `whittle serve` for background jobs)')
    .option('--timeout <seconds>', 'fail the job (and kill its worker) if it runs longer than this')
    .option('--json', 'machine-readable output')
    .action(async (kind: string, opts: { input: string; wait: boolean; timeout?: string; json?: boolean }) => {
      let input: unknown;
      try {
        input = JSON.parse(opts.input);
      } catch (err) {
        throw new CliError(`--input: not valid JSON (${(err as Error).message})`);
      }
      const timeoutSeconds = opts.timeout === undefined ? undefined : Number(opts.timeout);
      if (timeoutSeconds !== undefined && !(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0))
        throw new CliError(`--timeout: a number of seconds above 0, not "${opts.timeout}"`);
      if (!isJobKind(kind))
        throw new CliError(
          `Unknown job kind "${kind}". Kinds: ${JOB_KINDS.filter((c) => !c.testOnly)
            .map((c) => c.kind)
            .join(', ')}`,
        );
      const req = StartJobRequest.safeParse({ kind, input, ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }) });
      if (!req.success) throw new CliError(`Invalid job: ${req.error.issues.map((i) => `${i.path.join('.') || 'kind'}: ${i.message}`).join('; ')}`);
      await withEngine(async (engine) => {
        let job = engine.api.jobs.start(req.data);
        if (opts.wait) job = await waitForJob(engine, job.id, { bar: !opts.json, title: jobKindTitle(kind) });
        if (opts.json) printJson(job);
        else printJob(job);
        if (opts.wait) exitFor(job);
      });
    });

  jobs
    .command('cancel <id>')
    .description('Cancel a queued or running job (whichever Whittle process runs it)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withEngine(async (engine) => {
        const job = await engine.api.jobs.cancel(id);
        if (opts.json) printJson(job);
        else process.stdout.write(`${job.id} ${job.state}\n`);
      });
    });

  jobs
    .command('retry <id>')
    .description('Run a finished job again with the same input, and wait for it')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withEngine(async (engine) => {
        const started = engine.api.jobs.retry(id);
        const job = await waitForJob(engine, started.id, { bar: !opts.json, title: jobKindTitle(started.kind) });
        if (opts.json) printJson(job);
        else printJob(job);
        exitFor(job);
      });
    });
}
