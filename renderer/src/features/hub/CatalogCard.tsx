import { formatBytes } from '../../lib/format';
import { useHub, type CatalogEntry } from '../../state/hub';
import { formatParams, formatTokens } from '../library/modelView';

interface CatalogCardProps {
  entry: CatalogEntry;
}

/** One starter model: what it is, and its GGUF (and published ONNX build, where there is one) to download. */
export function CatalogCard({ entry }: CatalogCardProps) {
  const download = useHub((s) => s.download);
  const { gguf, onnx } = entry;
  return (
    <li className="card catalog-card" data-testid={`catalog-card-${entry.id}`}>
      <div className="catalog-head">
        <h3 className="card-title">{entry.name}</h3>
        <span className="muted">{formatParams(entry.parametersB * 1e9)} params</span>
      </div>
      <p className="catalog-summary">{entry.summary}</p>
      <p className="muted catalog-meta">
        {entry.license} · {formatTokens(entry.contextLength)} context · GGUF ≈ {formatBytes(gguf.approxSizeBytes)}
      </p>
      <div className="job-actions">
        <button
          type="button"
          className="button button-small"
          title={`${gguf.repo} · ${gguf.file}`}
          onClick={() => void download({ repo: gguf.repo, files: [gguf.file] }, `${entry.name} (GGUF)`)}
          data-testid={`catalog-download-gguf-${entry.id}`}
        >
          Download GGUF
        </button>
        {onnx && (
          <button
            type="button"
            className="button button-small"
            title={`${onnx.repo}${onnx.folder ? ` · ${onnx.folder}` : ''} · ≈ ${formatBytes(onnx.approxSizeBytes)}`}
            onClick={() => void download({ repo: onnx.repo, files: onnx.folder ? [onnx.folder] : [] }, `${entry.name} (ONNX)`)}
            data-testid={`catalog-download-onnx-${entry.id}`}
          >
            Download ONNX
          </button>
        )}
      </div>
    </li>
  );
}
