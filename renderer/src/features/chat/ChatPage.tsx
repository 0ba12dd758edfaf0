import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ConversationMessage } from '../../../../shared/chat';
import { ErrorNote } from '../../components/ErrorNote';
import { startInferenceFeed, useChat } from '../../state/chat';
import { useModels } from '../../state/models';
import { ChatColumnView } from './ChatColumn';
import { pathTo, turnsOf } from './chatView';
import { Composer } from './Composer';
import { ConversationList } from './ConversationList';
import { ExportDataset } from './ExportDataset';
import { ApiServerPanel } from './ApiServerPanel';
import { NewConversation } from './NewConversation';
import { SettingsPanel } from './SettingsPanel';

/** How close to the bottom (px) the replies must be scrolled for new text to keep them scrolled down. */
const STICK_PX = 80;

/** The Chat playground: saved conversations, 1–4 models side by side, streaming replies with metrics. */
export function ChatPage() {
  const models = useModels((s) => s.models);
  const refreshModels = useModels((s) => s.refresh);
  const refreshList = useChat((s) => s.refreshList);
  const select = useChat((s) => s.select);
  const current = useChat((s) => s.current);
  const currentError = useChat((s) => s.currentError);
  const selectedId = useChat((s) => s.selectedId);
  const loaded = useChat((s) => s.loaded);
  const loadErrors = useChat((s) => s.loadErrors);
  const run = useChat((s) => s.run);
  const lastRun = useChat((s) => s.lastRun);
  const sending = useChat((s) => s.sending);
  const actionError = useChat((s) => s.actionError);
  const clearActionError = useChat((s) => s.clearActionError);
  const send = useChat((s) => s.send);
  const stop = useChat((s) => s.stop);
  const editUser = useChat((s) => s.editUser);
  const regenerate = useChat((s) => s.regenerate);
  const showVersion = useChat((s) => s.showVersion);
  const load = useChat((s) => s.load);
  const unload = useChat((s) => s.unload);

  const [creating, setCreating] = useState(false);
  const [showSettings, setShowSettings] = useState(() => window.innerWidth >= 1100);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    void refreshModels();
    void refreshList();
    const { selectedId: remembered, current: open, reload } = useChat.getState();
    if (remembered && open?.conversation.id !== remembered) void select(remembered);
    else if (remembered) void reload();
    return startInferenceFeed();
  }, [refreshModels, refreshList, select]);

  // Esc stops generating from anywhere on the page (fields that use Esc themselves prevent the default).
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape' || e.defaultPrevented || !useChat.getState().run) return;
      e.preventDefault();
      useChat.getState().stop();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const nameOf = useCallback(
    (modelId: string): string => models.find((m) => m.id === modelId)?.name ?? loaded.find((m) => m.modelId === modelId)?.name ?? modelId,
    [models, loaded],
  );

  const conversation = current?.conversation ?? null;
  const messages = useMemo(() => current?.messages ?? [], [current]);
  const liveRun = run && run.conversationId === conversation?.id ? run : null;
  const path = useMemo(
    () => pathTo(messages, liveRun ? liveRun.userId : (conversation?.activeLeafId ?? null)),
    [messages, liveRun, conversation?.activeLeafId],
  );
  const turns = useMemo(() => turnsOf(path), [path]);
  const draft = conversation ? (drafts[conversation.id] ?? '') : '';
  const busy = run !== null || sending;

  const setDraft = (text: string): void => {
    if (conversation) setDrafts((d) => ({ ...d, [conversation.id]: text }));
  };

  const onSend = async (): Promise<void> => {
    if (!conversation) return;
    const text = draft;
    stick.current = true;
    setDraft('');
    if (!(await send(text))) setDrafts((d) => ({ ...d, [conversation.id]: d[conversation.id] || text }));
  };

  const onShow = useCallback((m: ConversationMessage) => void showVersion(m), [showVersion]);
  const onEdit = useCallback(
    (m: ConversationMessage, text: string) => {
      stick.current = true;
      return editUser(m, text);
    },
    [editUser],
  );
  const onRegenerate = useCallback((column: number, userId: string) => regenerate(column, userId), [regenerate]);

  // Keep the newest text in view while it streams, unless the reader scrolled up.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [run, messages.length]);

  return (
    <section className="page page-chat" data-testid="page-chat" aria-labelledby="title-chat">
      <header className="page-header chat-header">
        <h1 id="title-chat">Chat</h1>
        <ApiServerPanel modelId={conversation?.columns[0]?.modelId ?? null} />
        {conversation && !creating && (
          <>
            <span className="chat-header-title" data-testid="chat-title">
              {conversation.title}
            </span>
            <ExportDataset key={conversation.id} conversation={conversation} nameOf={nameOf} disabled={busy} />
            <button type="button" className="button" aria-pressed={showSettings} onClick={() => setShowSettings((s) => !s)} data-testid="chat-settings-toggle">
              Parameters
            </button>
          </>
        )}
      </header>
      <div className="chat-page" data-testid="chat-page">
        <ConversationList
          nameOf={nameOf}
          onNew={() => {
            clearActionError();
            setCreating(true);
          }}
        />
        <div className="chat-main">
          {actionError && !creating && (
            <div className="chat-action-error">
              <ErrorNote message={actionError} testId="chat-error" />
              <button type="button" className="button button-ghost button-small" onClick={clearActionError}>
                Dismiss
              </button>
            </div>
          )}
          {creating ? (
            <div className="chat-new-wrap">
              <NewConversation onDone={() => setCreating(false)} />
            </div>
          ) : conversation ? (
            <>
              <div
                className="chat-columns-scroll"
                ref={scroller}
                onScroll={(e) => {
                  const el = e.currentTarget;
                  stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
                }}
              >
                <div className={`chat-columns chat-columns-${conversation.columns.length}`} data-testid="chat-columns">
                  {conversation.columns.map((spec, i) => (
                    <ChatColumnView
                      key={`${i}-${spec.modelId}`}
                      index={i}
                      spec={spec}
                      modelName={nameOf(spec.modelId)}
                      trainedContext={models.find((m) => m.id === spec.modelId)?.inspection.contextLength ?? null}
                      systemPrompt={conversation.systemPrompt}
                      messages={messages}
                      path={path}
                      turns={turns}
                      live={liveRun?.columns[i] ?? null}
                      liveUserId={liveRun?.userId ?? null}
                      kept={liveRun?.kept.find((k) => k.column === i) ?? null}
                      lastRun={lastRun}
                      loaded={loaded.find((m) => m.modelId === spec.modelId)}
                      loadError={loadErrors[spec.modelId] ?? null}
                      draft={draft}
                      busy={busy}
                      onShow={onShow}
                      onEdit={onEdit}
                      onRegenerate={onRegenerate}
                      onLoad={() => void load(spec).catch(() => undefined)}
                      onUnload={() => void unload(spec.modelId)}
                    />
                  ))}
                </div>
              </div>
              <Composer
                draft={draft}
                onDraft={setDraft}
                onSend={() => void onSend()}
                onStop={stop}
                running={liveRun !== null}
                sending={sending}
                disabled={false}
                columns={conversation.columns.length}
              />
            </>
          ) : (
            <div className="chat-empty">
              {currentError ? (
                <ErrorNote message={currentError} testId="chat-open-error" />
              ) : selectedId ? (
                <p className="muted">Opening the conversation…</p>
              ) : (
                <>
                  <p className="page-summary">
                    Chat with one model, or compare up to four side by side with the same prompt and seed, with speed and memory for every reply.
                  </p>
                  <button type="button" className="button button-primary" onClick={() => setCreating(true)} data-testid="chat-start">
                    New conversation
                  </button>
                </>
              )}
            </div>
          )}
        </div>
        {conversation && !creating && showSettings && <SettingsPanel conversation={conversation} nameOf={nameOf} disabled={busy} />}
      </div>
    </section>
  );
}
