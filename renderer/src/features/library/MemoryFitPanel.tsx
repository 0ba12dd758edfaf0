import { useEffect, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import { Badge } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import { Facts, type Fact } from '../../components/Facts';
import { formatBytes } from '../../lib/format';
import type { LibraryModel, MemoryFit } from '../../state/models';
import { CONTEXT_SIZES, formatTokens, VERDICTS } from './modelView';

interface MemoryFitPanelProps {
  model: LibraryModel;
}

type FitState = { status: 'loading' } | { status: 'ready'; fit: MemoryFit } | { status: 'error'; error: string };

/** The context size to start with: 4K, or the model's own when that is smaller. */
function initialContext(model: LibraryModel): number {
  const own = model.inspection.contextLength;
  const fitting = own ? CONTEXT_SIZES.filter((c) => c <= own) : [];
  return fitting.length > 0 ? Math.min(4096, fitting[fitting.length - 1]!) : 4096;
}

/** Whether the model fits this machine's RAM and VRAM at a chosen context length. */
export function MemoryFitPanel({ model }: MemoryFitPanelProps) {
  const [contextSize, setContextSize] = useState(() => initialContext(model));
  const [state, setState] = useState<FitState>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    api.models.memoryFit.query({ id: model.id, contextSize }).then(
      (fit) => {
        if (live) setState({ status: 'ready', fit });
      },
      (e: unknown) => {
        if (live) setState({ status: 'error', error: errorMessage(e) });
      },
    );
    return () => {
      live = false;
    };
  }, [model.id, contextSize]);

  const own = model.inspection.contextLength;
  const fit = state.status === 'ready' ? state.fit : null;
  const facts: Fact[] = fit
    ? [
        ['CPU only', `${formatBytes(fit.cpuOnly.ramBytes)} RAM`],
        ['Full GPU offload', fit.fullGpu ? `${formatBytes(fit.fullGpu.vramBytes)} VRAM + ${formatBytes(fit.fullGpu.ramBytes)} RAM` : 'No GPU'],
        ['RAM free', `${formatBytes(fit.freeRamBytes)} of ${formatBytes(fit.totalRamBytes)}`],
        ['VRAM free', fit.totalVramBytes == null ? '—' : `${formatBytes(fit.freeVramBytes)} of ${formatBytes(fit.totalVramBytes)}`],
        ['Estimate', fit.method === 'node-llama-cpp' ? 'llama.cpp’s GGUF insights' : 'formula from the config'],
      ]
    : [];

  return (
    <section
      className="detail-section"
      aria-labelledby="memory-fit-title"
      data-testid="memory-fit"
      data-verdict={fit?.verdict ?? ''}
      aria-busy={state.status === 'loading'}
    >
      <div className="section-header">
        <h3 id="memory-fit-title">Memory fit</h3>
        <label className="inline-field">
          <span className="muted">Context</span>
          <select className="input select" value={contextSize} onChange={(e) => setContextSize(Number(e.target.value))} data-testid="memory-fit-context">
            {CONTEXT_SIZES.map((c) => (
              <option key={c} value={c}>
                {formatTokens(c)}
                {own != null && c > own ? ' (beyond training)' : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.status === 'loading' && <p className="muted">Estimating…</p>}
      {state.status === 'error' && <ErrorNote message={state.error} testId="memory-fit-error" />}
      {fit && (
        <>
          <p className="fit-summary">
            <Badge tone={VERDICTS[fit.verdict].tone} testId="memory-fit-verdict">
              {VERDICTS[fit.verdict].label}
            </Badge>
            <span data-testid="memory-fit-summary">{fit.summary}</span>
          </p>
          <Facts facts={facts} />
        </>
      )}
    </section>
  );
}
