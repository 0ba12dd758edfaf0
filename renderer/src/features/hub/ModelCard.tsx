import { useMemo, useState } from 'react';
import { stripFrontMatter } from './markdownSplit';
import { MarkdownView } from './MarkdownView';

interface ModelCardProps {
  markdown: string | null;
}

/** Card text longer than this is shown after "Show all", so a huge card does not stall the pane. */
const PREVIEW_BLOCKS = 40;

/** The model card (README) as Markdown: no HTML from the card is ever rendered. */
export function ModelCard({ markdown }: ModelCardProps) {
  const text = useMemo(() => (markdown ? stripFrontMatter(markdown) : ''), [markdown]);
  const [all, setAll] = useState(false);
  return (
    <section className="detail-section" aria-labelledby="hub-card-title">
      <h3 id="hub-card-title">Model card</h3>
      {!text.trim() ? (
        <p className="muted">This repository has no model card.</p>
      ) : (
        <MarkdownView
          text={text}
          testId="hub-card"
          stripHtml
          limit={all ? undefined : PREVIEW_BLOCKS}
          more={
            <button type="button" className="button" onClick={() => setAll(true)}>
              Show the whole card
            </button>
          }
        />
      )}
    </section>
  );
}
