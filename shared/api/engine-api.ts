import type { AppInfo } from '../app-info';
import type { ArtifactRecord, ListArtifactsRequest } from '../artifacts';
import type { SystemReport } from '../hardware';
import type { JobEvent, JobLogTail, JobRecord, ListJobsRequest, StartJobRequest } from '../jobs';

/**
 * What the engine offers every client. The tRPC router in ./router.ts validates requests and then
 * calls this; the engine implements it; the renderer and CLI only ever see it through a transport.
 */
export interface EngineApi {
  app: {
    info(): AppInfo;
  };
  jobs: {
    list(req: ListJobsRequest): JobRecord[];
    get(id: string): JobRecord;
    start(req: StartJobRequest): JobRecord;
    cancel(id: string): Promise<JobRecord>;
    retry(id: string): JobRecord;
    log(id: string, tailLines: number): Promise<JobLogTail>;
    /** Every job change and log line, until the signal aborts. */
    events(signal: AbortSignal | undefined): AsyncIterable<JobEvent>;
  };
  hardware: {
    latestReport(): { report: SystemReport; jobId: string } | null;
  };
  artifacts: {
    list(req: ListArtifactsRequest): ArtifactRecord[];
  };
}
