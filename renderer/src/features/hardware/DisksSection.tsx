import type { SystemReport } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { formatBytes } from '../../lib/format';
import { Section } from './Section';
import { usageTone } from './usage';

interface DisksSectionProps {
  disks: SystemReport['disks'];
}

export function DisksSection({ disks }: DisksSectionProps) {
  return (
    <Section title="Disks" testId="hardware-disks" wide>
      {disks.length === 0 ? (
        <p className="muted">No disks reported.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Mount</th>
              <th scope="col">File system</th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col" className="num">
                Free
              </th>
              <th scope="col" className="col-usage">
                Usage
              </th>
            </tr>
          </thead>
          <tbody>
            {disks.map((disk) => {
              const used = disk.sizeBytes > 0 ? (disk.sizeBytes - disk.freeBytes) / disk.sizeBytes : 0;
              return (
                <tr key={`${disk.mount}|${disk.filesystem}`}>
                  <td className="mono">{disk.mount}</td>
                  <td className="truncate" title={disk.filesystem}>
                    {disk.type ? `${disk.type} · ${disk.filesystem}` : disk.filesystem}
                  </td>
                  <td className="num">{formatBytes(disk.sizeBytes)}</td>
                  <td className="num">{formatBytes(disk.freeBytes)}</td>
                  <td className="col-usage">
                    <ProgressBar fraction={used} label={`${disk.mount} usage`} role="meter" tone={usageTone(used)} showPercent />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}
