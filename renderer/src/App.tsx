import { useEffect, useRef } from 'react';
import { PAGES } from '../../shared/navigation';
import { ChatPage } from './features/chat/ChatPage';
import { HardwarePage } from './features/hardware/HardwarePage';
import { JobsPage } from './features/jobs/JobsPage';
import { LibraryPage } from './features/library/LibraryPage';
import { Header } from './frame/Header';
import { PlaceholderPage } from './frame/PlaceholderPage';
import { installPageShortcuts } from './frame/shortcuts';
import { Sidebar } from './frame/Sidebar';
import { useNavigation } from './state/navigation';

function CurrentPage() {
  const page = useNavigation((s) => s.page);
  switch (page) {
    case 'library':
      return <LibraryPage />;
    case 'chat':
      return <ChatPage />;
    case 'jobs':
      return <JobsPage />;
    case 'hardware':
      return <HardwarePage />;
    default: {
      const entry = PAGES.find((p) => p.id === page) ?? PAGES[0];
      return <PlaceholderPage page={entry} />;
    }
  }
}

export function App() {
  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => installPageShortcuts(() => mainRef.current), []);
  return (
    <div className="app">
      <button type="button" className="skip-link" onClick={() => mainRef.current?.focus()}>
        Skip to content
      </button>
      <Header />
      <Sidebar />
      <main className="main" ref={mainRef} tabIndex={-1}>
        <CurrentPage />
      </main>
    </div>
  );
}
