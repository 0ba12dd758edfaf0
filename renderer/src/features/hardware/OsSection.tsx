import type { SystemReport } from '../../api/types';
import { Facts } from '../../components/Facts';
import { Section } from './Section';

interface OsSectionProps {
  os: SystemReport['os'];
  runtime: SystemReport['runtime'];
}

export function OsSection({ os, runtime }: OsSectionProps) {
  return (
    <Section title="Operating system" testId="hardware-os">
      <Facts
        facts={[
          ['System', os.distro || os.platform],
          ['Platform', `${os.platform} ${os.arch}`],
          ['Release', os.release],
          ['Hostname', os.hostname],
          ['Node.js', runtime.node],
          ['V8', runtime.v8],
          ['Electron', runtime.electron ?? '— (not running in Electron)'],
        ]}
      />
    </Section>
  );
}
