import type { SystemReport } from '../../api/types';
import { Chip } from '../../components/Chip';
import { ErrorNote } from '../../components/ErrorNote';
import { Facts } from '../../components/Facts';
import { formatBytes } from '../../lib/format';
import { GpuTable } from './GpuTable';
import { Section } from './Section';

interface LlamaSectionProps {
  llama: SystemReport['llama'];
}

export function LlamaSection({ llama }: LlamaSectionProps) {
  return (
    <Section title="llama.cpp" testId="hardware-llama">
      {llama.error && <ErrorNote message={llama.error} />}
      <Facts
        facts={[
          ['Version', llama.version ?? '—'],
          ['Selected backend', <span data-testid="llama-backend">{llama.selectedBackend}</span>],
          [
            'GPU backends',
            llama.supportedGpuBackends.length > 0 ? (
              <span className="chips">
                {llama.supportedGpuBackends.map((b) => (
                  <Chip key={b}>{b}</Chip>
                ))}
              </span>
            ) : (
              'none (CPU only)'
            ),
          ],
          ['VRAM', llama.vram ? `${formatBytes(llama.vram.freeBytes)} free of ${formatBytes(llama.vram.totalBytes)}` : '—'],
        ]}
      />
      <GpuTable gpus={llama.gpus} empty="llama.cpp sees no GPU; inference runs on the CPU." />
    </Section>
  );
}
