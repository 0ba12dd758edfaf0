import type { SystemReport } from '../../api/types';
import { Facts } from '../../components/Facts';
import { ProgressBar } from '../../components/ProgressBar';
import { formatBytes } from '../../lib/format';
import { Section } from './Section';
import { usageTone } from './usage';

interface MemorySectionProps {
  memory: SystemReport['memory'];
}

export function MemorySection({ memory }: MemorySectionProps) {
  const used = memory.totalBytes - memory.availableBytes;
  const fraction = memory.totalBytes > 0 ? used / memory.totalBytes : 0;
  return (
    <Section title="Memory" testId="hardware-memory">
      <Facts
        facts={[
          ['Total', formatBytes(memory.totalBytes)],
          ['Available', formatBytes(memory.availableBytes)],
          ['In use', formatBytes(used)],
          ['Swap', memory.swapTotalBytes > 0 ? formatBytes(memory.swapTotalBytes) : 'none'],
        ]}
      />
      <ProgressBar fraction={fraction} label="Memory in use" role="meter" tone={usageTone(fraction)} showPercent />
    </Section>
  );
}
