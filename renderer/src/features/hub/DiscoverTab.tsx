import { useHub } from '../../state/hub';
import { CatalogSection } from './CatalogSection';
import { DownloadNotice } from './DownloadNotice';
import { HubModelDetail } from './HubModelDetail';
import { HubResults } from './HubResults';
import { HubSearchForm } from './HubSearchForm';
import { HubTokenBox } from './HubTokenBox';

/** Find models on the Hugging Face Hub (or the mirror at HF_ENDPOINT) and download them. */
export function DiscoverTab() {
  const selectedRepo = useHub((s) => s.selectedRepo);
  const open = useHub((s) => s.open);
  return (
    <div className="library-split">
      <div className="split-main">
        <HubTokenBox />
        <DownloadNotice />
        <CatalogSection />
        <HubSearchForm />
        <HubResults />
      </div>
      {selectedRepo && <HubModelDetail key={selectedRepo} repo={selectedRepo} onClose={() => void open(null)} />}
    </div>
  );
}
