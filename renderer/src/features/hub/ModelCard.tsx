import { createElement, useMemo, useState } from 'react';
import { parseMarkdown, type Block, type Inline } from './markdown';

interface ModelCardProps {
  markdown: string | null;
}

/** Card text longer than this is shown after "Show all", so a huge card does not stall the pane. */
const PREVIEW_BLOCKS = 40;

function Spans({ inline }: { inline: Inline[] }) {
  return (
    <>
      {inline.map((s, i) => {
        switch (s.type) {
          case 'code':
            return <code key={i}>{s.text}</code>;
          case 'strong':
            return <strong key={i}>{s.text}</strong>;
          case 'em':
            return <em key={i}>{s.text}</em>;
          case 'image':
            return (
              <span key={i} className="muted">
                [image{s.alt ? `: ${s.alt}` : ''}]
              </span>
            );
          case 'link':
            return s.href ? (
              <a key={i} href={s.href} target="_blank" rel="noreferrer noopener">
                {s.text}
              </a>
            ) : (
              <span key={i}>{s.text}</span>
            );
          default:
            return <span key={i}>{s.text}</span>;
        }
      })}
    </>
  );
}

function BlockView({ block }: { block: Block }) {
  switch (block.type) {
    case 'heading':
      // Card headings sit under the pane's own h2/h3.
      return createElement(`h${Math.min(6, block.level + 3)}`, { className: 'card-heading' }, <Spans inline={block.inline} />);
    case 'paragraph':
      return (
        <p>
          <Spans inline={block.inline} />
        </p>
      );
    case 'quote':
      return (
        <blockquote>
          <Spans inline={block.inline} />
        </blockquote>
      );
    case 'list': {
      const items = block.items.map((item, i) => (
        <li key={i}>
          <Spans inline={item} />
        </li>
      ));
      return block.ordered ? <ol>{items}</ol> : <ul>{items}</ul>;
    }
    case 'code':
      return <pre className="code-block">{block.text}</pre>;
    case 'table':
      return <pre className="code-block">{block.rows.map((r) => r.join('  |  ')).join('\n')}</pre>;
    case 'rule':
      return <hr />;
  }
}

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
