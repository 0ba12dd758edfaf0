import { useEffect } from 'react';
import { useModels, watchModelJobs } from '../../state/models';
import { DiscoverTab } from '../hub/DiscoverTab';
import { DownloadsTab } from './DownloadsTab';
import { LibraryTabs } from './LibraryTabs';
import { MyModelsTab } from './MyModelsTab';

/** Models on this machine, models on the Hub, and the downloads between them. */
export function LibraryPage() {
  const tab = useModels((s) => s.tab);
  const refresh = useModels((s) => s.refresh);

  useEffect(() => {
    void refresh();
    return watchModelJobs();
  }, [refresh]);

  return (
    <section className="page page-library" data-testid="page-library" aria-labelledby="title-library">
      <header className="page-header library-header">
        <h1 id="title-library">Library</h1>
        <LibraryTabs />
      </header>
      <div className="library-panel" role="tabpanel" id={`library-panel-${tab}`} aria-labelledby={`library-tab-${tab}`}>
        {tab === 'models' && <MyModelsTab />}
        {tab === 'discover' && <DiscoverTab />}
        {tab === 'downloads' && <DownloadsTab />}
      </div>
    </section>
  );
}
