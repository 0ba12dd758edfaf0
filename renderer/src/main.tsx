import './zod-jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { trackConnection } from './state/connection';
import { startJobsFeed } from './state/jobs';
import { syncNavigationWithHash } from './state/navigation';
import { applyTheme } from './state/theme';
import './styles.css';

// App-lifetime wiring, outside React so it runs exactly once.
applyTheme();
syncNavigationWithHash();
trackConnection();
startJobsFeed();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
