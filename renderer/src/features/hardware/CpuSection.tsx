import type { SystemReport } from '../../api/types';
import { Chip } from '../../components/Chip';
import { Facts } from '../../components/Facts';
import { Section } from './Section';

interface CpuSectionProps {
  cpu: SystemReport['cpu'];
}

export function CpuSection({ cpu }: CpuSectionProps) {
  const features = Object.entries(cpu.features);
  return (
    <Section title="CPU" testId="hardware-cpu">
      <Facts
        facts={[
          ['Model', cpu.brand],
          ['Vendor', cpu.manufacturer],
          ['Cores', `${cpu.physicalCores} physical · ${cpu.logicalCores} logical`],
          ['Speed', cpu.speedGHz === null ? '—' : `${cpu.speedGHz.toFixed(2)} GHz`],
        ]}
      />
      {features.length > 0 && (
        <div className="chips" aria-label="Instruction-set features">
          {features.map(([name, present]) => (
            <Chip key={name} present={present} testId={`cpu-feature-${name}`}>
              {name}
            </Chip>
          ))}
        </div>
      )}
      {cpu.flags.length > 0 && (
        <details className="flags">
          <summary>All CPU flags ({cpu.flags.length})</summary>
          <p className="mono flags-list">{cpu.flags.join(' ')}</p>
        </details>
      )}
    </Section>
  );
}
