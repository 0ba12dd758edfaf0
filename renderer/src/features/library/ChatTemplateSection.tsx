import { ErrorNote } from '../../components/ErrorNote';
import type { LibraryModel } from '../../state/models';
import { SpecialTokens } from './SpecialTokens';

interface ChatTemplateSectionProps {
  inspection: LibraryModel['inspection'];
}

/** The chat template, what it makes of a short conversation (or why it failed), and the special tokens. */
export function ChatTemplateSection({ inspection }: ChatTemplateSectionProps) {
  const { chatTemplate, chatTemplateExample, chatTemplateError, specialTokens } = inspection;
  return (
    <section className="detail-section" aria-labelledby="chat-template-title">
      <h3 id="chat-template-title">Chat template</h3>
      {!chatTemplate && <p className="muted">The model has no chat template; chat will fall back to a generic format.</p>}
      {chatTemplateError && <ErrorNote message={`The template does not render: ${chatTemplateError}`} testId="chat-template-error" />}
      {chatTemplateExample !== null && (
        <>
          <span className="muted">Rendered for a short example conversation</span>
          <pre className="code-block wrap" data-testid="chat-template-example" tabIndex={0}>
            {chatTemplateExample}
          </pre>
        </>
      )}
      {chatTemplate && (
        <details className="subtle-details">
          <summary>Template source ({chatTemplate.length.toLocaleString('en-US')} characters)</summary>
          <pre className="code-block wrap" data-testid="chat-template" tabIndex={0}>
            {chatTemplate}
          </pre>
        </details>
      )}
      <SpecialTokens tokens={specialTokens} />
    </section>
  );
}
