import { ErrorNote } from '../../components/ErrorNote';
import { useHub } from '../../state/hub';
import { useModels } from '../../state/models';

/** Says that the download just asked for started (with a way to watch it), or why it did not. */
export function DownloadNotice() {
  const last = useHub((s) => s.lastDownload);
  const setTab = useModels((s) => s.setTab);
  if (!last) return null;
  if ('error' in last) return <ErrorNote message={`Could not download ${last.what}: ${last.error}`} testId="hub-download-error" />;
  return (
    <p className="notice" role="status" data-testid="hub-download-started" data-job-id={last.job.id}>
      Downloading {last.what}.{' '}
      <button type="button" className="link-button" onClick={() => setTab('downloads')} data-testid="hub-open-downloads">
        Watch it in Downloads
      </button>
    </p>
  );
}
