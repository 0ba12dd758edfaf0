import type { SystemReport } from '../../api/types';
import { Chip } from '../../components/Chip';
import { ErrorNote } from '../../components/ErrorNote';
import { Facts } from '../../components/Facts';
import { Section } from './Section';

interface OnnxSectionProps {
  onnx: SystemReport['onnxRuntime'];
}

export function OnnxSection({ onnx }: OnnxSectionProps) {
  return (
    <Section title="ONNX Runtime" testId="hardware-onnx">
      {onnx.error && <ErrorNote message={onnx.error} />}
      <Facts
        facts={[
          ['Version', onnx.version ?? '—'],
          [
            'Execution providers',
            onnx.executionProviders.length > 0 ? (
              <span className="chips">
                {onnx.executionProviders.map((ep) => (
                  <Chip key={ep.name} title={ep.bundled ? 'Ships with onnxruntime-node' : 'Needs an extra install'}>
                    {ep.name}
                    {ep.bundled ? '' : ' (needs install)'}
                  </Chip>
                ))}
              </span>
            ) : (
              'none'
            ),
          ],
        ]}
      />
    </Section>
  );
}
