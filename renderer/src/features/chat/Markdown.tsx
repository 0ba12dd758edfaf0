import { createElement, useMemo } from 'react';
import { parseMarkdown, type Block, type Inline } from '../hub/markdown';
import { CopyButton } from '../library/CopyButton';

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
      return (
        <div className="chat-code">
          <pre className="code-block">{block.text}</pre>
          <div className="chat-code-actions">
            <CopyButton text={block.text} label="Copy the code" testId="chat-code-copy" />
          </div>
        </div>
      );
    case 'table':
      return <pre className="code-block">{block.rows.map((r) => r.join('  |  ')).join('\n')}</pre>;
    case 'rule':
      return <hr />;
  }
}

/**
 * A reply as Markdown, through the hub's reader (hub/markdown.ts): HTML is never interpreted, only web links are
 * links. Code blocks get a copy button.
 */
export function Markdown({ text }: { text: string }) {
  // The leading newline keeps a reply that starts with `---` from being taken for a model card's front matter.
  const blocks = useMemo(() => parseMarkdown(`\n${text}`), [text]);
  // Text the reader keeps nothing of (only markup or whitespace) is still what the model said.
  if (blocks.length === 0) return <div className="chat-plain">{text}</div>;
  return (
    <div className="model-card chat-markdown">
      {blocks.map((block, i) => (
        <BlockView key={i} block={block} />
      ))}
    </div>
  );
}
