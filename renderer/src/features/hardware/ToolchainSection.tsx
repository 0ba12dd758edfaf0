import { ErrorNote } from '../../components/ErrorNote';
import { useToolchain } from '../../state/toolchain';
import { NpuSection } from './NpuSection';
import { ToolchainCard } from './ToolchainCard';

/**
 * The toolchains Whittle builds or installs into its cache (llama.cpp tools, the Python env), with a
 * button that installs or repairs each, and the NPUs found. Shown whether or not a system report exists.
 * The page loads the status; this only offers the slower deep check.
 */
export function ToolchainSection() {
  const status = useToolchain((s) => s.status);
  const statusDeep = useToolchain((s) => s.statusDeep);
  const checking = useToolchain((s) => s.checking);
  const loadError = useToolchain((s) => s.loadError);
  const load = useToolchain((s) => s.load);

  return (
    <section className="toolchains" data-testid="toolchain-section" data-checking={checking ?? ''} aria-labelledby="title-toolchains">
      <div className="toolchains-header">
        <h2 id="title-toolchains">Toolchains</h2>
        {status && (
          <span className="muted ellipsis" title={status.cacheDir}>
            {statusDeep ? 'Deep check (every package imported)' : 'Quick check'} · cache{' '}
            <span className="mono" data-testid="toolchain-cache-dir">
              {status.cacheDir}
            </span>
          </span>
        )}
        <button
          type="button"
          className="button"
          disabled={checking !== null}
          onClick={() => void load(true)}
          title="Imports every Python package to find a broken install; may take about 30 s."
          data-testid="toolchain-deep-check"
        >
          {checking === 'deep' ? 'Deep check running…' : 'Deep check'}
        </button>
      </div>
      {loadError && <ErrorNote message={`Could not check the toolchains: ${loadError}`} testId="toolchain-load-error" />}
      {!status && !loadError && <p className="muted">Checking the toolchains…</p>}
      {status && (
        <div className="report-grid">
          {status.components.map((component) => (
            <ToolchainCard key={component.component} status={component} />
          ))}
          <NpuSection npus={status.npus} pythonProviders={status.pythonProviders} />
        </div>
      )}
    </section>
  );
}
