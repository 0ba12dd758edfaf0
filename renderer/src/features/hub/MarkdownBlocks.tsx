import { createElement, type ReactNode } from 'react';
import type { Block, Inline } from './markdown';

/** Markdown blocks from hub/markdown.ts as React elements: HTML is never interpreted, only web links are links. */
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

/** One Markdown block. `code` renders code blocks (default: a plain <pre>), so a caller can add actions to them. */
export function BlockView({ block, code }: { block: Block; code?: (text: string) => ReactNode }) {
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
      return code ? code(block.text) : <pre className="code-block">{block.text}</pre>;
    case 'table':
      return <pre className="code-block">{block.rows.map((r) => r.join('  |  ')).join('\n')}</pre>;
    case 'rule':
      return <hr />;
  }
}
