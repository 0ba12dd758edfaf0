import type { NpuDevice } from '../../../../shared/toolchain';
import { Chip } from '../../components/Chip';

interface NpuSectionProps {
  npus: NpuDevice[];
  /** ONNX Runtime execution providers of the Python toolchain; null when not installed or not checked. */
  pythonProviders: string[] | null;
}

/** Neural processing units found on this machine, and what ONNX Runtime in the Python toolchain can use. */
export function NpuSection({ npus, pythonProviders }: NpuSectionProps) {
  return (
    <section className="card" data-testid="toolchain-npus" aria-label="NPUs" data-count={npus.length}>
      <h3 className="card-title">NPUs</h3>
      {npus.length > 0 ? (
        <ul className="toolchain-list" data-testid="toolchain-npu-list">
          {npus.map((npu) => (
            <li key={`${npu.vendor}:${npu.name}:${npu.source}`} data-testid="toolchain-npu">
              <span>{npu.name}</span> <span className="muted">· {npu.vendor}</span>{' '}
              <span className="muted mono" title="How it was found">
                ({npu.source})
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted" data-testid="toolchain-npus-none">
          None detected
        </p>
      )}
      <h3 className="card-title">ONNX Runtime providers in the Python toolchain</h3>
      <div data-testid="toolchain-providers">
        {pythonProviders === null ? (
          <p className="muted">not known</p>
        ) : pythonProviders.length > 0 ? (
          <span className="chips">
            {pythonProviders.map((provider) => (
              <Chip key={provider}>{provider}</Chip>
            ))}
          </span>
        ) : (
          <p className="muted">none reported</p>
        )}
      </div>
    </section>
  );
}
