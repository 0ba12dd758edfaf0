import { useEffect } from 'react';
import type { Job, LatestReport } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { formatDateTime } from '../../lib/format';
import { useHardware } from '../../state/hardware';
import { useJobs } from '../../state/jobs';
import { routeHash } from '../../state/navigation';
import { useToolchain } from '../../state/toolchain';
import { CpuSection } from './CpuSection';
import { DisksSection } from './DisksSection';
import { GpuTable } from './GpuTable';
import { LlamaSection } from './LlamaSection';
import { MemorySection } from './MemorySection';
import { OnnxSection } from './OnnxSection';
import { OsSection } from './OsSection';
import { ReportRunner } from './ReportRunner';
import { Section } from './Section';
import { ToolchainSection } from './ToolchainSection';

/** The report job to show: the one started here, else any system report still under way. */
function useReportJob(): Job | undefined {
  const runJobId = useHardware((s) => s.runJobId);
  return useJobs((s) => {
    if (runJobId) return s.jobs[runJobId];
    let active: Job | undefined;
    for (const job of Object.values(s.jobs)) {
      const live = job.kind === 'system-report' && (job.state === 'queued' || job.state === 'running');
      if (live && (!active || job.createdAt > active.createdAt)) active = job;
    }
    return active;
  });
}

function Report({ latest }: { latest: LatestReport }) {
  const { report } = latest;
  return (
    <div className="report" data-testid="hardware-report">
      <p className="muted report-meta">
        Report from {formatDateTime(report.createdAt)} · <a href={routeHash({ page: 'jobs', jobId: latest.jobId })}>job {latest.jobId}</a>
      </p>
      <div className="report-grid">
        <OsSection os={report.os} runtime={report.runtime} />
        <CpuSection cpu={report.cpu} />
        <MemorySection memory={report.memory} />
        <LlamaSection llama={report.llama} />
        <OnnxSection onnx={report.onnxRuntime} />
        <Section title="System GPUs" testId="hardware-gpus">
          <GpuTable gpus={report.systemGpus} empty="No GPUs reported by the system." />
        </Section>
        <DisksSection disks={report.disks} />
      </div>
    </div>
  );
}

export function HardwarePage() {
  const latest = useHardware((s) => s.latest);
  const loaded = useHardware((s) => s.loaded);
  const loadError = useHardware((s) => s.loadError);
  const load = useHardware((s) => s.load);
  const reloadAfter = useHardware((s) => s.reloadAfter);
  const startError = useHardware((s) => s.startError);
  const loadToolchains = useToolchain((s) => s.load);
  const job = useReportJob();

  useEffect(() => {
    void load();
    void loadToolchains();
  }, [load, loadToolchains]);

  const succeededJobId = job?.state === 'succeeded' ? job.id : null;
  useEffect(() => {
    if (succeededJobId) reloadAfter(succeededJobId);
  }, [succeededJobId, reloadAfter]);

  return (
    <section className="page" data-testid="page-hardware" aria-labelledby="title-hardware">
      <header className="page-header">
        <h1 id="title-hardware">Hardware</h1>
        <ReportRunner job={job} />
      </header>
      {startError && <ErrorNote message={`Could not start the report: ${startError}`} />}
      {job?.error && <ErrorNote message={`The system report failed: ${job.error}`} testId="hardware-job-error" />}
      <ToolchainSection />
      {loadError && <ErrorNote message={`Could not load the report: ${loadError}`} />}
      {!loaded && <p className="muted">Loading…</p>}
      {loaded && !latest && !loadError && (
        <p className="empty" data-testid="hardware-empty">
          No system report yet. Use <strong>Run system report</strong> to find out what this machine can run.
        </p>
      )}
      {latest && <Report latest={latest} />}
    </section>
  );
}
