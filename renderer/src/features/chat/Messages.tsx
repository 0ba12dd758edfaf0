import { useState } from 'react';
import type { ConversationMessage } from '../../../../shared/chat';
import { formatBytes, formatDuration } from '../../lib/format';
import type { ColumnRun } from '../../state/chat';
import { CopyButton } from '../library/CopyButton';
import { formatCount, formatRate, type SavedMetrics } from './chatView';
import { Markdown } from './Markdown';

interface VersionNavProps {
  versions: readonly ConversationMessage[];
  currentId: string | null;
  onShow: (message: ConversationMessage) => void;
  disabled: boolean;
  what: string;
}

/** ‹ 2/3 › between a message's versions (branches). */
export function VersionNav({ versions, currentId, onShow, disabled, what }: VersionNavProps) {
  if (versions.length < 2) return null;
  const index = versions.findIndex((v) => v.id === currentId);
  const at = index < 0 ? versions.length - 1 : index;
  return (
    <span className="chat-versions" data-testid="chat-versions">
      <button
        type="button"
        className="button button-ghost button-small"
        disabled={disabled || at === 0}
        onClick={() => onShow(versions[at - 1]!)}
        aria-label={`Previous ${what}`}
        data-testid="chat-version-prev"
      >
        ‹
      </button>
      <span className="chat-versions-count" aria-label={`${what} ${at + 1} of ${versions.length}`}>
        {at + 1}/{versions.length}
      </span>
      <button
        type="button"
        className="button button-ghost button-small"
        disabled={disabled || at === versions.length - 1}
        onClick={() => onShow(versions[at + 1]!)}
        aria-label={`Next ${what}`}
        data-testid="chat-version-next"
      >
        ›
      </button>
    </span>
  );
}

interface UserMessageProps {
  message: ConversationMessage;
  column: number;
  versions: readonly ConversationMessage[];
  busy: boolean;
  onShow: (message: ConversationMessage) => void;
  onEdit: (message: ConversationMessage, text: string) => Promise<boolean>;
}

export function UserMessage({ message, column, versions, busy, onShow, onEdit }: UserMessageProps) {
  const [draft, setDraft] = useState<string | null>(null);
  const save = async (): Promise<void> => {
    if (draft === null || !draft.trim()) return;
    if (draft === message.content) {
      setDraft(null);
      return;
    }
    if (await onEdit(message, draft)) setDraft(null);
  };
  return (
    <article
      className="chat-message chat-message-user"
      data-testid="chat-message"
      data-role="user"
      data-column={column}
      data-message-id={message.id}
      data-chars={message.content.length}
    >
      <header className="chat-message-head">
        <span className="chat-role">You</span>
        <VersionNav versions={versions} currentId={message.id} onShow={onShow} disabled={busy} what="version of this message" />
        <span className="chat-message-actions">
          {draft === null && (
            <button
              type="button"
              className="button button-ghost button-small"
              disabled={busy}
              onClick={() => setDraft(message.content)}
              data-testid="chat-edit"
            >
              Edit
            </button>
          )}
          <CopyButton text={message.content} label="Copy the message" testId="chat-copy" />
        </span>
      </header>
      {draft === null ? (
        <div className="chat-plain">{message.content}</div>
      ) : (
        <form
          className="chat-edit"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <textarea
            className="input textarea"
            aria-label="Edit the message"
            autoFocus
            value={draft}
            rows={Math.min(10, Math.max(2, draft.split('\n').length))}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                e.stopPropagation();
                setDraft(null);
              } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || !e.shiftKey)) {
                e.preventDefault();
                void save();
              }
            }}
            data-testid="chat-edit-input"
          />
          <div className="job-actions">
            <button type="submit" className="button button-primary button-small" disabled={busy || !draft.trim()} data-testid="chat-edit-save">
              Save and regenerate
            </button>
            <button type="button" className="button button-small" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
          <p className="muted">The edit becomes a new branch; the original stays one ‹ › away.</p>
        </form>
      )}
    </article>
  );
}

export function Metrics({ metrics }: { metrics: SavedMetrics }) {
  const hasRun = typeof metrics.ttftMs === 'number';
  return (
    <dl
      className="chat-metrics"
      data-testid="chat-metrics"
      data-ttft-ms={metrics.ttftMs ?? ''}
      data-prompt-tps={metrics.promptTokensPerSec ?? ''}
      data-gen-tps={metrics.genTokensPerSec ?? ''}
      data-prompt-tokens={metrics.promptTokens ?? ''}
      data-completion-tokens={metrics.completionTokens ?? ''}
      data-peak-rss={metrics.peakRssBytes ?? ''}
      data-finish={metrics.finishReason ?? ''}
      data-seed={metrics.seed ?? ''}
    >
      {hasRun && (
        <>
          <div title="Time to first token: from the request to the first generated token">
            <dt>TTFT</dt>
            <dd>{formatDuration(metrics.ttftMs)}</dd>
          </div>
          <div title="Prompt processing speed">
            <dt>Prompt</dt>
            <dd>{formatRate(metrics.promptTokensPerSec)}</dd>
          </div>
          <div title="Generation speed after the first token">
            <dt>Gen</dt>
            <dd>{formatRate(metrics.genTokensPerSec)}</dd>
          </div>
          <div title="Prompt tokens in, generated tokens out">
            <dt>Tokens</dt>
            <dd>
              {formatCount(metrics.promptTokens ?? 0)} in / {formatCount(metrics.completionTokens ?? 0)} out
            </dd>
          </div>
          {metrics.peakRssBytes != null && (
            <div title="Peak resident memory of the model’s worker process">
              <dt>Peak mem</dt>
              <dd>{formatBytes(metrics.peakRssBytes)}</dd>
            </div>
          )}
        </>
      )}
      {metrics.seed !== undefined && (
        <div>
          <dt>Seed</dt>
          <dd className="mono">{metrics.seed}</dd>
        </div>
      )}
      {metrics.finishReason && metrics.finishReason !== 'stop' && (
        <div>
          <dt>Ended</dt>
          <dd>{metrics.finishReason === 'length' ? 'max tokens' : metrics.finishReason === 'abort' ? 'stopped' : metrics.finishReason}</dd>
        </div>
      )}
    </dl>
  );
}

interface ReplyProps {
  column: number;
  /** A saved reply, or the one streaming now. */
  message: ConversationMessage | null;
  live: ColumnRun | null;
  modelName: string;
  versions: readonly ConversationMessage[];
  currentVersionId: string | null;
  busy: boolean;
  onShow: (message: ConversationMessage) => void;
  onRegenerate: (() => void) | null;
}

export function Reply({ column, message, live, modelName, versions, currentVersionId, busy, onShow, onRegenerate }: ReplyProps) {
  const text = live ? live.text : (message?.content ?? '');
  const metrics = live ? live.metrics : ((message?.metrics as SavedMetrics | null) ?? null);
  const state = live ? live.state : 'saved';
  const byOther = message?.modelId && message.modelId !== live?.modelId ? message.modelId : null;
  return (
    <article
      className={`chat-message chat-message-assistant${live ? ` chat-message-${live.state}` : ''}`}
      data-testid="chat-message"
      data-role="assistant"
      data-column={column}
      data-state={state}
      data-status={live ? undefined : message?.status}
      data-message-id={message?.id}
      data-model-id={live?.modelId ?? message?.modelId ?? undefined}
      data-chars={text.length}
      aria-busy={live?.state === 'streaming' || live?.state === 'loading'}
    >
      <header className="chat-message-head">
        <span className="chat-role" title={byOther ?? undefined}>
          {modelName}
        </span>
        {!live && message?.status === 'interrupted' && (
          <span
            className="badge badge-warning"
            title="The reply was cut off (stopped, the page closed or the engine stopped) and saved as far as it got"
            data-testid="chat-interrupted"
          >
            interrupted
          </span>
        )}
        {!live && message?.status === 'streaming' && (
          <span className="badge badge-info" title="The engine is still writing this reply" data-testid="chat-streaming">
            generating…
          </span>
        )}
        <VersionNav versions={versions} currentId={currentVersionId} onShow={onShow} disabled={busy} what="reply set of this turn" />
        <span className="chat-message-actions">
          {onRegenerate && (
            <button type="button" className="button button-ghost button-small" disabled={busy} onClick={onRegenerate} data-testid="chat-regenerate">
              Regenerate
            </button>
          )}
          {!live && <CopyButton text={text} label="Copy the reply" testId="chat-copy" />}
        </span>
      </header>
      {live?.state === 'loading' && !text && <p className="muted">Loading the model…</p>}
      {live?.state === 'streaming' && !text && <p className="muted">Thinking…</p>}
      {text ? <Markdown text={text} /> : !live && <p className="muted">(empty reply)</p>}
      {live?.state === 'streaming' && text && <span className="chat-caret" aria-hidden="true" />}
      {live?.error && (
        <p className="error-note" role="alert" data-testid="chat-reply-error">
          {live.error}
        </p>
      )}
      {metrics?.toolCalls && metrics.toolCalls.length > 0 && (
        <pre className="chat-tool-calls mono selectable" data-testid="chat-tool-calls">
          {metrics.toolCalls.map((c) => `${c.name}(${JSON.stringify(c.arguments)})`).join('\n')}
        </pre>
      )}
      {metrics && <Metrics metrics={metrics} />}
    </article>
  );
}
