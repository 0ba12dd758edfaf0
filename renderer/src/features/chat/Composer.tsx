const isMac = navigator.userAgent.includes('Mac');

export const SHORTCUTS: readonly [string, string][] = [
  ['Enter', 'Send'],
  ['Shift+Enter', 'New line'],
  [isMac ? '⌘+Enter' : 'Ctrl+Enter', 'Send'],
  ['Esc', 'Stop generating'],
];

interface ComposerProps {
  draft: string;
  onDraft: (text: string) => void;
  onSend: () => void;
  onStop: () => void;
  running: boolean;
  sending: boolean;
  disabled: boolean;
  columns: number;
}

/** The prompt box: Enter (or Ctrl/⌘+Enter) sends, Shift+Enter is a new line; Stop ends every stream. */
export function Composer({ draft, onDraft, onSend, onStop, running, sending, disabled, columns }: ComposerProps) {
  const canSend = !disabled && !running && !sending && draft.trim().length > 0;
  return (
    <div className="chat-composer">
      <textarea
        className="input textarea chat-input"
        aria-label="Message"
        placeholder={columns > 1 ? `Message all ${columns} models…` : 'Message the model…'}
        rows={3}
        value={draft}
        disabled={disabled}
        onChange={(e) => onDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key !== 'Enter' || e.nativeEvent.isComposing) return;
          if (e.shiftKey && !(e.ctrlKey || e.metaKey)) return;
          e.preventDefault();
          if (canSend) onSend();
        }}
        data-testid="chat-input"
      />
      <div className="chat-composer-actions">
        {running ? (
          <button type="button" className="button button-danger" onClick={onStop} data-testid="chat-stop">
            Stop
          </button>
        ) : (
          <button type="button" className="button button-primary" disabled={!canSend} onClick={onSend} data-testid="chat-send">
            {sending ? 'Sending…' : 'Send'}
          </button>
        )}
        <details className="chat-shortcuts" data-testid="chat-shortcuts">
          <summary>Shortcuts</summary>
          <dl>
            {SHORTCUTS.map(([keys, what]) => (
              <div key={`${keys}-${what}`}>
                <dt>
                  <kbd>{keys}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </details>
      </div>
    </div>
  );
}
