import { useEffect } from 'react';
import type { ToolchainComponent, ToolchainComponentStatus, ToolchainItem } from '../../../../shared/toolchain';
import type { Job } from '../../api/types';
import { Badge, type Tone } from '../../components/Badge';
import { Chip } from '../../components/Chip';
import { ErrorNote } from '../../components/ErrorNote';
import { Facts, type Fact } from '../../components/Facts';
import { JobProgress } from '../../components/JobProgress';
import { formatBytes, formatDateTime, formatDuration } from '../../lib/format';
import { useJobs } from '../../state/jobs';
import { routeHash } from '../../state/navigation';
import { isFinalJob, useToolchain } from '../../state/toolchain';
import { useJobActions } from '../jobs/useJobActions';
import { CopyButton } from '../library/CopyButton';

const STATE_TONES: Record<ToolchainComponentStatus['state'], Tone> = {
  ready: 'success',
  missing: 'warning',
  broken: 'danger',
};

const isLive = (job: Job): boolean => job.state === 'queued' || job.state === 'running';

/** The component a `toolchain.install` job works on, read from its input. */
function installComponent(job: Job): unknown {
  const { input } = job;
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? input.component : undefined;
}

/**
 * The install job to show for `component`: the one started here while it runs, else one started
 * elsewhere (another window, the API) that is under way, else the one started here, finished.
 */
function useInstallJob(component: ToolchainComponent): Job | undefined {
  const ownId = useToolchain((s) => s.jobIds[component]);
  return useJobs((s) => {
    const own = ownId ? s.jobs[ownId] : undefined;
    if (own && isLive(own)) return own;
    let live: Job | undefined;
    for (const job of Object.values(s.jobs)) {
      if (job.kind !== 'toolchain.install' || !isLive(job) || installComponent(job) !== component) continue;
      if (!live || job.createdAt > live.createdAt) live = job;
    }
    return live ?? own;
  });
}

/** Items grouped by what is wrong with them: "not installed: numpy, torch". */
function groupProblems(items: ToolchainItem[]): [problem: string, names: string[]][] {
  const groups = new Map<string, string[]>();
  for (const item of items) {
    if (item.ok) continue;
    const problem = item.problem ?? 'not working';
    groups.set(problem, [...(groups.get(problem) ?? []), item.name]);
  }
  return [...groups];
}

function ItemChips({ items, version }: { items: ToolchainItem[]; version: string | null }) {
  return (
    <span className="chips">
      {items.map((item) => (
        <Chip key={item.name} present={item.ok} title={item.problem ?? item.version ?? undefined}>
          {item.name}
          {item.version && item.version !== version ? ` ${item.version}` : ''}
        </Chip>
      ))}
    </span>
  );
}

/** Collapsed while all is well (or nothing is there yet); what is wrong, spelled out, when broken. */
function Items({ status }: { status: ToolchainComponentStatus }) {
  const { items, state, component, version } = status;
  if (items.length === 0) return null;
  const noun = component === 'llama' ? 'tools' : 'packages';
  const bad = items.filter((item) => !item.ok);
  const testId = `toolchain-${component}-items`;
  if (state === 'broken' && bad.length > 0) {
    return (
      <>
        <ul className="warning-list" data-testid={`toolchain-${component}-problems`}>
          {groupProblems(items).map(([problem, names]) => (
            <li key={problem}>
              <span className="muted">{problem}:</span> <span className="mono">{names.join(', ')}</span>
            </li>
          ))}
        </ul>
        {bad.length < items.length && (
          <details className="subtle-details" data-testid={testId}>
            <summary>
              All {items.length} {noun}
            </summary>
            <ItemChips items={items} version={version} />
          </details>
        )}
      </>
    );
  }
  const summary =
    state === 'missing'
      ? `${items.length} ${noun} to ${component === 'llama' ? 'build' : 'install'}`
      : bad.length === 0
        ? `${items.length} ${noun}, all working`
        : `${items.length} ${noun}, ${bad.length} not working`;
  return (
    <details className="subtle-details" data-testid={testId}>
      <summary>{summary}</summary>
      <ItemChips items={items} version={version} />
    </details>
  );
}

function InstallProgress({ job, title, component }: { job: Job; title: string; component: ToolchainComponent }) {
  const { onCancel, busy, actionError } = useJobActions(job);
  return (
    <JobProgress
      job={job}
      title={`Install ${title}`}
      compact
      testId={`toolchain-${component}-progress`}
      testIdPrefix={`toolchain-${component}-job`}
      onCancel={onCancel}
      busy={busy}
      actionError={actionError}
    >
      <a href={routeHash({ page: 'jobs', jobId: job.id })}>Open job</a>
    </JobProgress>
  );
}

/** The first line of a failed job's error; the rest (log tail, stack) folded away. */
function InstallError({ error, component }: { error: string | null; component: ToolchainComponent }) {
  const [first = '', ...rest] = (error ?? 'no reason given').split('\n');
  return (
    <>
      <ErrorNote message={`The install failed: ${first}`} testId={`toolchain-${component}-error`} />
      {rest.some((line) => line.trim()) && (
        <details className="subtle-details">
          <summary>Details</summary>
          <pre className="code-block wrap error-block">{error}</pre>
        </details>
      )}
    </>
  );
}

export function ToolchainCard({ status }: { status: ToolchainComponentStatus }) {
  const { component, title, state, fix } = status;
  const starting = useToolchain((s) => s.starting[component] ?? false);
  const startError = useToolchain((s) => s.startErrors[component]);
  const install = useToolchain((s) => s.install);
  const track = useToolchain((s) => s.track);
  const job = useInstallJob(component);
  const busy = starting || (job !== undefined && isLive(job));

  // An install started elsewhere also refreshes this card when it ends.
  const liveJobId = job && !isFinalJob(job) ? job.id : null;
  useEffect(() => {
    if (liveJobId) track(liveJobId);
  }, [liveJobId, track]);

  const facts: Fact[] = [['Version', <span data-testid={`toolchain-${component}-version`}>{status.version ?? '—'}</span>]];
  if (status.dir) facts.push(['Folder', <span className="mono selectable">{status.dir}</span>]);
  if (status.sizeBytes !== null) facts.push(['Size', formatBytes(status.sizeBytes)]);
  if (status.builtAt) {
    const built = Date.parse(status.builtAt);
    const took = status.buildSeconds !== null ? ` (took ${formatDuration(status.buildSeconds * 1000)})` : '';
    facts.push(['Built', Number.isNaN(built) ? status.builtAt : `${formatDateTime(built)}${took}`]);
  }

  return (
    <section className="card toolchain-card" data-testid={`toolchain-${component}`} data-state={state} aria-label={title}>
      <div className="toolchain-card-head">
        <h3 className="card-title">{title}</h3>
        <Badge tone={STATE_TONES[state]} testId={`toolchain-${component}-state`}>
          {state}
        </Badge>
      </div>
      <p data-testid={`toolchain-${component}-detail`}>{status.detail}</p>
      <Facts facts={facts} />
      <Items status={status} />
      {fix && (
        <div className="toolchain-fix">
          <button
            type="button"
            className="button button-primary"
            disabled={busy}
            onClick={() => void install(fix.action)}
            data-testid={`toolchain-${component}-fix`}
          >
            {fix.label}
          </button>
          <span className="toolchain-command">
            <span className="muted">or run</span>
            <code className="mono selectable" data-testid={`toolchain-${component}-command`}>
              {fix.command}
            </code>
            <CopyButton text={fix.command} label={`Copy the command: ${fix.command}`} testId={`toolchain-${component}-copy`} />
          </span>
        </div>
      )}
      {job && <InstallProgress job={job} title={title} component={component} />}
      {startError && <ErrorNote message={`Could not start: ${startError}`} testId={`toolchain-${component}-start-error`} />}
      {job?.state === 'failed' && <InstallError error={job.error} component={component} />}
    </section>
  );
}
