import { formatBytes } from '../../lib/format';
import { useHub, type HubModelDetails } from '../../state/hub';
import { FORMAT_LABELS } from '../library/modelView';

interface HubVariantsProps {
  repo: string;
  details: HubModelDetails;
}

/** The downloadable models in the repo (one per GGUF quant, ONNX folder, or the transformers checkpoint). */
export function HubVariants({ repo, details }: HubVariantsProps) {
  const download = useHub((s) => s.download);
  return (
    <section className="detail-section" aria-labelledby="hub-variants-title">
      <h3 id="hub-variants-title">Variants</h3>
      {details.variants.length === 0 ? (
        <p className="muted">No GGUF, ONNX or transformers model found in this repository.</p>
      ) : (
        <table className="table" data-testid="hub-variants">
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col">Format</th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">
                <span className="visually-hidden">Download</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {details.variants.map((v, index) => (
              <tr key={`${v.label}|${v.files.join('|')}`} data-testid={`hub-variant-${index}`} data-label={v.label}>
                <td className="mono truncate" title={v.files.join('\n')}>
                  {v.label}
                </td>
                <td>{FORMAT_LABELS[v.format]}</td>
                <td className="num">{formatBytes(v.sizeBytes)}</td>
                <td className="actions-cell">
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => void download({ repo, revision: details.sha, files: v.files }, `${repo} ${v.label}`)}
                    aria-label={`Download ${v.label}`}
                    data-testid={`hub-variant-download-${index}`}
                  >
                    Download
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
