import { useMemo, useState } from 'react';
import { parseMarkdown } from './markdown';
import { BlockView } from './MarkdownBlocks';

interface ModelCardProps {
  markdown: string | null;
}

/** Card text longer than this is shown after "Show all", so a huge card does not stall the pane. */
const PREVIEW_BLOCKS = 40;

/** The model card (README), read as plain Markdown: no HTML from the card is ever rendered. */
export function ModelCard({ markdown }: ModelCardProps) {
  const blocks = useMemo(() => (markdown ? parseMarkdown(markdown) : []), [markdown]);
  const [all, setAll] = useState(false);
  const shown = all ? blocks : blocks.slice(0, PREVIEW_BLOCKS);
  return (
    <section className="detail-section" aria-labelledby="hub-card-title">
      <h3 id="hub-card-title">Model card</h3>
      {blocks.length === 0 ? (
        <p className="muted">This repository has no model card.</p>
      ) : (
        <div className="model-card" data-testid="hub-card">
          {shown.map((block, i) => (
            <BlockView key={i} block={block} />
          ))}
          {blocks.length > shown.length && (
            <button type="button" className="button" onClick={() => setAll(true)}>
              Show the whole card
            </button>
          )}
        </div>
      )}
    </section>
  );
}
