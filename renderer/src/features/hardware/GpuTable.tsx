import type { SystemReport } from '../../api/types';
import { formatBytes } from '../../lib/format';

interface GpuTableProps {
  gpus: SystemReport['systemGpus'];
  empty: string;
}

export function GpuTable({ gpus, empty }: GpuTableProps) {
  if (gpus.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">GPU</th>
          <th scope="col">Vendor</th>
          <th scope="col" className="num">
            VRAM
          </th>
        </tr>
      </thead>
      <tbody>
        {gpus.map((gpu, index) => (
          <tr key={`${gpu.name}-${index}`}>
            <td>{gpu.name}</td>
            <td>{gpu.vendor || '—'}</td>
            <td className="num">{formatBytes(gpu.vramBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
