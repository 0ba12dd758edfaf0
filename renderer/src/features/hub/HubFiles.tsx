import { formatBytes } from '../../lib/format';
import type { HubModelDetails } from '../../state/hub';

interface HubFilesProps {
  files: HubModelDetails['files'];
}

/** Every file in the repo at this commit, with its size and the sha256 the Hub's LFS records. */
export function HubFiles({ files }: HubFilesProps) {
  return (
    <details className="detail-section">
      <summary>
        <h3>Files ({files.length})</h3>
      </summary>
      <div className="table-scroll">
        <table className="table" data-testid="hub-files">
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">LFS sha256</th>
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.path}>
                <td className="mono truncate" title={f.path}>
                  {f.path}
                </td>
                <td className="num">{formatBytes(f.sizeBytes)}</td>
                <td className="mono muted truncate selectable" title={f.lfsSha256 ?? 'kept in git'}>
                  {f.lfsSha256 ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
