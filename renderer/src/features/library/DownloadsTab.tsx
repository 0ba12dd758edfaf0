import { useMemo } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useJobs } from '../../state/jobs';
import { useModels } from '../../state/models';
import { newestFirst } from '../jobs/jobView';
import { DownloadRow } from './DownloadRow';
import { isDownload } from './downloadView';

/** Every model download, newest first, with its live progress and controls. */
export function DownloadsTab() {
  const jobsById = useJobs((s) => s.jobs);
  const loaded = useJobs((s) => s.loaded);
  const listError = useJobs((s) => s.listError);
  const openError = useModels((s) => s.openError);
  const downloads = useMemo(() => Object.values(jobsById).filter(isDownload).sort(newestFirst), [jobsById]);

  return (
    <div className="split-main downloads" data-testid="downloads">
      {listError && <ErrorNote message={listError} />}
      {openError && <ErrorNote message={openError} testId="downloads-open-error" />}
      {!loaded && <p className="muted">Loading downloads…</p>}
      {loaded && downloads.length === 0 && (
        <p className="muted empty" data-testid="downloads-empty">
          No downloads yet. Find a model in Discover and download it; it shows up here while it comes in.
        </p>
      )}
      {downloads.length > 0 && (
        <ul className="download-list" aria-label="Downloads">
          {downloads.map((job) => (
            <DownloadRow key={job.id} job={job} />
          ))}
        </ul>
      )}
    </div>
  );
}
