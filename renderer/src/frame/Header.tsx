import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api/client';
import type { AppInfo } from '../api/types';
import { ConnectionIndicator } from './ConnectionIndicator';
import { ThemeToggle } from './ThemeToggle';

type InfoState = { info: AppInfo } | { error: string } | null;

function useAppInfo(): InfoState {
  const [state, setState] = useState<InfoState>(null);
  useEffect(() => {
    let live = true;
    api.app.info.query().then(
      (info) => {
        if (live) setState({ info });
      },
      (error: unknown) => {
        if (live) setState({ error: errorMessage(error) });
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}

export function Header() {
  const state = useAppInfo();
  return (
    <header className="header">
      <div className="brand">
        <span className="brand-name">Whittle</span>
        {state && 'info' in state && (
          <span className="brand-version" data-testid="app-version">
            v{state.info.version}
          </span>
        )}
      </div>
      <div className="header-info">
        {state && 'info' in state && (
          <span className="data-dir" title={`Data directory: ${state.info.dataDir}`} data-testid="app-data-dir">
            {state.info.dataDir}
          </span>
        )}
        {state && 'error' in state && <span className="header-error">{state.error}</span>}
      </div>
      <div className="header-actions">
        <ConnectionIndicator />
        <ThemeToggle />
      </div>
    </header>
  );
}
