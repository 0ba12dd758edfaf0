import { formatBytes } from '../../lib/format';
import type { LibraryModel } from '../../state/models';

interface ModelFilesProps {
  files: LibraryModel['inspection']['files'];
}

/** The files that make the model, relative to its folder. */
export function ModelFiles({ files }: ModelFilesProps) {
  return (
    <details className="detail-section" open={files.length <= 8}>
      <summary>
        <h3>Files ({files.length})</h3>
      </summary>
      <table className="table" data-testid="model-files">
        <tbody>
          {files.map((f) => (
            <tr key={f.path}>
              <td className="mono truncate" title={f.path}>
                {f.path}
              </td>
              <td className="num">{formatBytes(f.sizeBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
