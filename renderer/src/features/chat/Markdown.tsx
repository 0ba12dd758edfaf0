import type { ReactNode } from 'react';
import { MarkdownView } from '../hub/MarkdownView';
import { CopyButton } from '../library/CopyButton';

function codeWithCopy(code: string, pre: ReactNode) {
  return (
    <div className="chat-code">
      {pre}
      <div className="chat-code-actions">
        <CopyButton text={code} label="Copy the code" testId="chat-code-copy" />
      </div>
    </div>
  );
}

/**
 * A reply as Markdown (hub/MarkdownView): HTML is never interpreted, only web links are links, code blocks get a
 * copy button. The reply is split into top-level blocks, so while it streams only the last block re-renders.
 */
export function Markdown({ text }: { text: string }) {
  // Text with nothing to render (only whitespace) is still what the model said.
  if (!text.trim()) return <div className="chat-plain">{text}</div>;
  return <MarkdownView text={text} codeBlock={codeWithCopy} className="chat-markdown" />;
}
