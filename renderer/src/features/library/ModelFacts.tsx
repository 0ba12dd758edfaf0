import { Facts, type Fact } from '../../components/Facts';
import { formatBytes, formatDateTime } from '../../lib/format';
import type { LibraryModel } from '../../state/models';
import { CopyButton } from './CopyButton';
import { FORMAT_LABELS, formatCount, formatParams, SOURCE_LABELS } from './modelView';

interface ModelFactsProps {
  model: LibraryModel;
}

const orDash = (v: string | number | null | undefined): string => (v == null || v === '' ? '—' : String(v));

/** Where the model is, what it is, and its shape. */
export function ModelFacts({ model }: ModelFactsProps) {
  const i = model.inspection;
  const heads =
    i.headCount == null ? '—' : i.headCountKv != null && i.headCountKv !== i.headCount ? `${i.headCount} (KV ${i.headCountKv})` : String(i.headCount);
  const facts: Fact[] = [
    [
      'Path',
      <span className="mono selectable" data-testid="model-path">
        {model.path}
      </span>,
    ],
    [
      'SHA-256',
      <span className="hash-row">
        <span className="mono selectable ellipsis" title={model.sha256} data-testid="model-sha256">
          {model.sha256}
        </span>
        <CopyButton text={model.sha256} label="Copy the SHA-256" testId="copy-sha256" />
      </span>,
    ],
    ['Source', SOURCE_LABELS[model.source]],
    ['From', <span className="mono selectable">{orDash(model.sourceRef)}</span>],
    ['Format', FORMAT_LABELS[model.format]],
    [
      'Architecture',
      <span className="mono" data-testid="model-architecture">
        {orDash(i.architecture)}
      </span>,
    ],
    [
      'Parameters',
      <span data-testid="model-params" data-value={i.parameterCount ?? ''}>
        {i.parameterCount == null ? '—' : `${formatParams(i.parameterCount)} (${formatCount(i.parameterCount)})`}
      </span>,
    ],
    [
      'Quantization',
      <span className="mono" data-testid="model-quantization">
        {orDash(i.quantization)}
      </span>,
    ],
    ['Context length', <span data-testid="model-context">{formatCount(i.contextLength)}</span>],
    ['Vocabulary', <span data-testid="model-vocab">{formatCount(i.vocabSize)}</span>],
    ['Layers', <span data-testid="model-layers">{formatCount(i.layerCount)}</span>],
    ['Embedding', formatCount(i.embeddingLength)],
    ['Heads', heads],
    ['Licence', orDash(i.license)],
    ['Size', formatBytes(model.sizeBytes)],
    ['Added', formatDateTime(model.createdAt)],
  ];
  if (i.name && i.name !== model.name) facts.splice(4, 0, ['Model name', i.name]);
  return (
    <section className="detail-section" aria-labelledby="model-facts-title">
      <h3 id="model-facts-title">Facts</h3>
      <Facts facts={facts} testId="model-facts" />
    </section>
  );
}
