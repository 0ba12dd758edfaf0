import { useState } from 'react';
import type { Conversation } from '../../../../shared/chat';
import { ErrorNote } from '../../components/ErrorNote';
import { formatDateTime, formatTimestamp } from '../../lib/format';
import { useChat } from '../../state/chat';

interface ConversationListProps {
  nameOf: (modelId: string) => string;
  onNew: () => void;
}

/** Saved conversations, newest first: select, rename in place, delete after a confirmation. */
export function ConversationList({ nameOf, onNew }: ConversationListProps) {
  const conversations = useChat((s) => s.conversations);
  const listLoaded = useChat((s) => s.listLoaded);
  const listError = useChat((s) => s.listError);

  return (
    <nav className="chat-list" aria-label="Conversations">
      <div className="chat-list-head">
        <h2>Conversations</h2>
        <button type="button" className="button button-primary button-small" onClick={onNew} data-testid="chat-new">
          New
        </button>
      </div>
      {listError && <ErrorNote message={listError} testId="chat-list-error" />}
      {!listLoaded && <p className="muted">Loading…</p>}
      {listLoaded && conversations.length === 0 && !listError && (
        <p className="muted" data-testid="chat-list-empty">
          No conversations yet.
        </p>
      )}
      <ul className="chat-list-items">
        {conversations.map((c) => (
          <ConversationItem key={c.id} conversation={c} nameOf={nameOf} />
        ))}
      </ul>
    </nav>
  );
}

function ConversationItem({ conversation, nameOf }: { conversation: Conversation; nameOf: (modelId: string) => string }) {
  const selected = useChat((s) => s.selectedId === conversation.id);
  const select = useChat((s) => s.select);
  const rename = useChat((s) => s.rename);
  const remove = useChat((s) => s.remove);
  const [draft, setDraft] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const commit = async (): Promise<void> => {
    const title = draft?.trim() ?? '';
    if (!title || title === conversation.title) {
      setDraft(null);
      return;
    }
    setBusy(true);
    const ok = await rename(conversation.id, title);
    setBusy(false);
    if (ok) setDraft(null);
    else setError('Could not rename it.');
  };

  const models = conversation.columns.map((c) => nameOf(c.modelId)).join(' · ');

  return (
    <li
      className="chat-item"
      aria-current={selected ? 'true' : undefined}
      data-testid="chat-conversation-item"
      data-id={conversation.id}
      data-selected={selected}
    >
      {draft === null ? (
        <button type="button" className="chat-item-main" onClick={() => void select(conversation.id)} title={formatDateTime(conversation.updatedAt)}>
          <span className="chat-item-title" data-testid="chat-conversation-title">
            {conversation.title}
          </span>
          <span className="chat-item-meta muted">
            {models} · {formatTimestamp(conversation.updatedAt)}
          </span>
        </button>
      ) : (
        <form
          className="chat-item-rename"
          onSubmit={(e) => {
            e.preventDefault();
            void commit();
          }}
        >
          <input
            className="input"
            aria-label="Conversation title"
            value={draft}
            maxLength={200}
            autoFocus
            disabled={busy}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                e.stopPropagation();
                setDraft(null);
              }
            }}
            data-testid="chat-rename-input"
          />
          <button type="submit" className="button button-small" disabled={busy} data-testid="chat-rename-save">
            Save
          </button>
        </form>
      )}
      {draft === null && !confirming && (
        <div className="chat-item-actions">
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => setDraft(conversation.title)}
            aria-label={`Rename ${conversation.title}`}
            data-testid="chat-rename"
          >
            Rename
          </button>
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => setConfirming(true)}
            aria-label={`Delete ${conversation.title}`}
            data-testid="chat-delete"
          >
            Delete
          </button>
        </div>
      )}
      {confirming && (
        <div className="confirm chat-item-confirm" role="alertdialog" aria-label={`Delete ${conversation.title}?`}>
          <p className="confirm-title">Delete this conversation and all its messages?</p>
          <div className="job-actions">
            <button
              type="button"
              className="button button-danger button-small"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                void remove(conversation.id).then((ok) => {
                  setBusy(false);
                  if (!ok) {
                    setConfirming(false);
                    setError('Could not delete it.');
                  }
                });
              }}
              data-testid="chat-delete-confirm"
            >
              Delete
            </button>
            <button type="button" className="button button-small" autoFocus disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && <ErrorNote message={error} />}
    </li>
  );
}
