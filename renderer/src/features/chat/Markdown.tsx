import { useMemo } from 'react';
import { parseMarkdown } from '../hub/markdown';
import { BlockView } from '../hub/MarkdownBlocks';
import { CopyButton } from '../library/CopyButton';

function codeWithCopy(text: string) {
  return (
    <div className="chat-code">
      <pre className="code-block">{text}</pre>
      <div className="chat-code-actions">
        <CopyButton text={text} label="Copy the code" testId="chat-code-copy" />
      </div>
    </div>
  );
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
        <BlockView key={i} block={block} code={codeWithCopy} />
      ))}
    </div>
  );
}
