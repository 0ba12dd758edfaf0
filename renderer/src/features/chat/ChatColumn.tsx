import { memo } from 'react';
import type { ChatColumn as ColumnSpec, ConversationMessage } from '../../../../shared/chat';
import type { LoadedModel } from '../../../../shared/inference';
import { Badge, type Tone } from '../../components/Badge';
import { ProgressBar } from '../../components/ProgressBar';
import { formatBytes } from '../../lib/format';
import type { ColumnRun, RunOutcome } from '../../state/chat';
import { contextLimit, formatCount, historyFor, promptText, replyVersions, userVersions, type Turn } from './chatView';
import { Reply, UserMessage } from './Messages';
import { useContextUsage } from './useContextUsage';

export interface ColumnProps {
  index: number;
  spec: ColumnSpec;
  modelName: string;
  trainedContext: number | null;
  systemPrompt: string;
  /** Every message of the conversation (for versions). */
  messages: readonly ConversationMessage[];
  /** The path shown (up to the user message being answered while a run is on). */
  path: readonly ConversationMessage[];
  turns: readonly Turn[];
  /** This column's reply streaming now, and the turn it answers. */
  live: ColumnRun | null;
  liveUserId: string | null;
  /** Kept replies of a turn being regenerated in another column. */
  kept: ConversationMessage | null;
  lastRun: RunOutcome | null;
  loaded: LoadedModel | undefined;
  loadError: string | null;
  draft: string;
  busy: boolean;
  onShow: (message: ConversationMessage) => void;
  onEdit: (message: ConversationMessage, text: string) => Promise<boolean>;
  onRegenerate: (column: number, userId: string) => void;
  onLoad: () => void;
  onUnload: () => void;
}

/** One model's side of the conversation: its load state, context use, and its replies under each user message. */
export const ChatColumnView = memo(function ChatColumnView(props: ColumnProps) {
  const { index, spec, modelName, turns, messages, live, liveUserId, kept, lastRun, busy, onShow, onEdit, onRegenerate } = props;
  const lastTurn = turns.at(-1);
  return (
    <section
      className="chat-column"
      data-testid="chat-column"
      data-model-id={spec.modelId}
      data-column={index}
      data-stream-chunks={lastRun?.columns[index]?.chunks ?? live?.chunks ?? ''}
      aria-label={`Column ${index + 1}: ${modelName}`}
    >
      <ColumnHeader {...props} />
      <div className="chat-column-body">
        {turns.length === 0 && <p className="muted chat-column-empty">Replies from {modelName} appear here.</p>}
        {turns.map((turn) => {
          const isLive = live !== null && turn.user.id === liveUserId;
          const saved = isLive ? null : (turn.replies.get(index) ?? (kept && turn.user.id === liveUserId ? kept : null));
          const outcome = lastRun?.userId === turn.user.id ? lastRun.columns[index] : undefined;
          const versions = replyVersions(messages, turn.user);
          return (
            <div key={turn.user.id} className="chat-turn" data-testid="chat-turn" data-user-id={turn.user.id}>
              <UserMessage message={turn.user} column={index} versions={userVersions(messages, turn.user)} busy={busy} onShow={onShow} onEdit={onEdit} />
              {isLive || saved ? (
                <Reply
                  column={index}
                  message={saved}
                  live={isLive ? live : null}
                  modelName={modelName}
                  versions={isLive ? [] : versions}
                  currentVersionId={turn.firstReply?.id ?? null}
                  busy={busy}
                  onShow={onShow}
                  onRegenerate={isLive ? null : () => onRegenerate(index, turn.user.id)}
                />
              ) : (
                <NoReply
                  outcome={outcome}
                  busy={busy}
                  versions={versions.length}
                  onRetry={turn === lastTurn || outcome ? () => onRegenerate(index, turn.user.id) : null}
                />
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
});

function NoReply({
  outcome,
  busy,
  versions,
  onRetry,
}: {
  outcome: RunOutcome['columns'][number] | undefined;
  busy: boolean;
  versions: number;
  onRetry: (() => void) | null;
}) {
  return (
    <div className="chat-no-reply" data-testid="chat-no-reply">
      {outcome?.error ? (
        <p className="error-note" role="alert" data-testid="chat-reply-error">
          {outcome.error}
        </p>
      ) : (
        <p className="muted">
          {outcome?.state === 'stopped' ? 'Stopped before any text.' : versions > 0 ? 'No reply from this column in this branch.' : 'No reply.'}
        </p>
      )}
      {onRetry && (
        <button type="button" className="button button-small" disabled={busy} onClick={onRetry} data-testid="chat-retry">
          Generate
        </button>
      )}
    </div>
  );
}

const STATE_TONE: Record<string, Tone> = { loading: 'info', ready: 'success', failed: 'danger', unloading: 'warning', unloaded: 'neutral' };

function ColumnHeader({ index, spec, modelName, trainedContext, systemPrompt, path, loaded, loadError, draft, busy, onLoad, onUnload }: ColumnProps) {
  const state = loaded?.state ?? (loadError ? 'failed' : 'unloaded');
  const error = loaded?.error ?? loadError;
  const ready = state === 'ready';
  const text = promptText(historyFor(systemPrompt, path, index), draft);
  const usage = useContextUsage(spec.modelId, ready, text);
  const limit = contextLimit(loaded, spec.options, trainedContext);
  const fraction = usage.tokens === null ? 0 : usage.tokens / limit;
  const over = usage.tokens !== null && usage.tokens > limit;
  return (
    <header className="chat-column-head">
      <div className="chat-column-title">
        <span className="chat-column-index">{index + 1}</span>
        <h3 title={spec.modelId}>{modelName}</h3>
      </div>
      <div className="chat-column-status" data-testid="chat-column-status" data-state={state}>
        <Badge tone={STATE_TONE[state] ?? 'neutral'}>{state === 'unloaded' ? 'not loaded' : state}</Badge>
        {state === 'loading' && <ProgressBar fraction={loaded?.progress || null} label={`Loading ${modelName}`} showPercent />}
        {ready && loaded && (
          <span className="muted chat-load-facts">
            {[loaded.backend, loaded.contextSize ? `ctx ${formatCount(loaded.contextSize)}` : null, loaded.rssBytes ? formatBytes(loaded.rssBytes) : null]
              .filter(Boolean)
              .join(' · ')}
          </span>
        )}
        {(state === 'unloaded' || state === 'failed') && (
          <button type="button" className="button button-small" onClick={onLoad} data-testid="chat-column-load">
            {state === 'failed' ? 'Retry load' : 'Load'}
          </button>
        )}
        {ready && (
          <button type="button" className="button button-ghost button-small" disabled={busy} onClick={onUnload} data-testid="chat-column-unload">
            Unload
          </button>
        )}
      </div>
      {state === 'failed' && error && (
        <p className="error-note chat-load-error" role="alert" data-testid="chat-column-error">
          {error}
        </p>
      )}
      <div
        className="chat-context"
        data-testid="chat-context-usage"
        data-tokens={usage.tokens ?? ''}
        data-context={limit}
        data-counting={usage.counting}
        title="System prompt, this column’s history and the draft, in this model’s tokens (the chat template’s markers come on top)"
      >
        <ProgressBar
          fraction={Math.min(1, fraction)}
          role="meter"
          label={`Context used by ${modelName}`}
          tone={over ? 'danger' : fraction > 0.8 ? 'warning' : 'info'}
        />
        <span className={`chat-context-text${over ? ' chat-context-over' : ''}${usage.counting ? ' chat-context-counting' : ''}`}>
          {usage.tokens === null ? '—' : formatCount(usage.tokens)} / {formatCount(limit)} tokens
          {!ready && usage.tokens === null && <span className="muted"> (counted once loaded)</span>}
        </span>
      </div>
      {usage.error && <p className="muted chat-context-error">Could not count tokens: {usage.error}</p>}
    </header>
  );
}
