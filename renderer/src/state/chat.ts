import { create } from 'zustand';
import type {
  AddMessageRequest,
  ChatColumn,
  Conversation,
  ConversationMessage,
  ConversationWithMessages,
  CreateConversationRequest,
  ExportResult,
} from '../../../shared/chat';
import type { LoadedModel } from '../../../shared/inference';
import { api, errorMessage, isApiError } from '../api/client';
import { newestLeaf, optionsMatch, pathTo, randomSeed, turnsOf, type SavedMetrics } from '../features/chat/chatView';

/**
 * The Chat playground: saved conversations, the one open, the models loaded in the engine, and the generation under
 * way. A send adds the user message, then the engine generates the turn (`conversations.reply`): it streams every
 * column's reply here and saves each as it streams, chained (see chatView.ts for the tree's shape); a reply cut off
 * by Stop, a reload or the engine going away stays saved, marked interrupted.
 */

export type ColumnRunState = 'loading' | 'streaming' | 'done' | 'stopped' | 'failed';

export interface ColumnRun {
  column: number;
  modelId: string;
  text: string;
  /** Text events received: a reply that streamed has many. */
  chunks: number;
  state: ColumnRunState;
  error: string | null;
  metrics: SavedMetrics | null;
}

export interface Run {
  seq: number;
  conversationId: string;
  /** The user message being answered; the columns show the path up to it, then these replies. */
  userId: string;
  columns: Record<number, ColumnRun>;
  /** The other columns' replies a regenerated turn keeps (copied into the new branch). */
  kept: ConversationMessage[];
  seed: number | undefined;
}

/** How the last generation ended per column, kept until the next one (errors stay visible, chunk counts for tests). */
export interface RunOutcome {
  userId: string;
  columns: Record<number, Pick<ColumnRun, 'state' | 'error' | 'chunks'>>;
}

export type SettingsPatch = Partial<Pick<Conversation, 'title' | 'systemPrompt' | 'params' | 'sameSeed'>>;

interface ChatState {
  conversations: Conversation[];
  listLoaded: boolean;
  listError: string | null;
  selectedId: string | null;
  current: ConversationWithMessages | null;
  currentError: string | null;
  /** The models the engine has loaded (inference.events). */
  loaded: LoadedModel[];
  /** Load failures by model id: a host that failed may leave the engine's list, the reason should not. */
  loadErrors: Record<string, string>;
  /** Adding the user message, before the run starts. */
  sending: boolean;
  run: Run | null;
  lastRun: RunOutcome | null;
  actionError: string | null;
  settingsState: 'saved' | 'saving' | 'failed';
  settingsError: string | null;

  refreshList: () => Promise<void>;
  select: (id: string | null) => Promise<void>;
  reload: () => Promise<void>;
  create: (req: CreateConversationRequest) => Promise<Conversation | null>;
  rename: (id: string, title: string) => Promise<boolean>;
  remove: (id: string) => Promise<boolean>;
  /** Changes the open conversation's settings now and saves them shortly after (edits in a row are saved once). */
  updateSettings: (patch: SettingsPatch) => void;
  flushSettings: () => Promise<void>;
  send: (text: string) => Promise<boolean>;
  editUser: (message: ConversationMessage, text: string) => Promise<boolean>;
  regenerate: (column: number, userId: string) => void;
  /** Shows another version of a message (a sibling): its newest branch becomes the active one. */
  showVersion: (message: ConversationMessage) => Promise<void>;
  stop: () => void;
  load: (column: ChatColumn) => Promise<void>;
  unload: (modelId: string) => Promise<void>;
  exportDataset: (dataset: string, column: number) => Promise<ExportResult>;
  clearActionError: () => void;
}

const SELECTED_KEY = 'whittle.chat.selected';
const SETTINGS_DEBOUNCE_MS = 400;
const FLUSH_MS = 33;

function readSelected(): string | null {
  try {
    return localStorage.getItem(SELECTED_KEY);
  } catch {
    return null;
  }
}

function writeSelected(id: string | null): void {
  try {
    if (id) localStorage.setItem(SELECTED_KEY, id);
    else localStorage.removeItem(SELECTED_KEY);
  } catch {
    // Storage may be off; the selection just does not survive a reload.
  }
}

let listRequest = 0;
let getRequest = 0;
let runSeq = 0;
/** Stops the run under way (-1: the whole turn). */
const stoppers = new Map<number, () => void>();
/** Streamed text not yet in the store: flushed every few frames so a fast model does not re-render per token. */
const buffered = new Map<number, { text: string; chunks: number }>();
let flushTimer: number | null = null;
let settingsTimer: number | null = null;
let pendingSettings: { id: string; patch: SettingsPatch } | null = null;
let settingsWrite: Promise<void> = Promise.resolve();

export const useChat = create<ChatState>()((set, get) => {
  const patchRun = (seq: number, column: number, patch: Partial<ColumnRun>): void => {
    set((state) => {
      const run = state.run;
      const col = run?.seq === seq ? run.columns[column] : undefined;
      if (!run || !col) return state;
      return { run: { ...run, columns: { ...run.columns, [column]: { ...col, ...patch } } } };
    });
  };

  const flush = (): void => {
    if (flushTimer !== null) {
      window.clearTimeout(flushTimer);
      flushTimer = null;
    }
    if (buffered.size === 0) return;
    const chunks = new Map(buffered);
    buffered.clear();
    set((state) => {
      const run = state.run;
      if (!run) return state;
      const columns = { ...run.columns };
      for (const [column, add] of chunks) {
        const col = columns[column];
        if (col)
          columns[column] = { ...col, text: col.text + add.text, chunks: col.chunks + add.chunks, state: col.state === 'loading' ? 'streaming' : col.state };
      }
      return { run: { ...run, columns } };
    });
  };

  const append = (column: number, text: string): void => {
    const b = buffered.get(column) ?? { text: '', chunks: 0 };
    buffered.set(column, { text: b.text + text, chunks: b.chunks + 1 });
    flushTimer ??= window.setTimeout(flush, FLUSH_MS);
  };

  /** Loads the column's model when it is not loaded with the options the column asks for. */
  const ensureLoaded = async (col: ChatColumn): Promise<void> => {
    const loaded = get().loaded.find((m) => m.modelId === col.modelId);
    if (loaded && optionsMatch(loaded.options, col.options)) {
      if (loaded.state === 'ready') return;
      // Loading with whatever options it was asked for; a request waits for it (asking again with defaults would reload it).
      if (loaded.state === 'loading' && !col.options) return;
    }
    set((s) => {
      const { [col.modelId]: _gone, ...loadErrors } = s.loadErrors;
      return { loadErrors };
    });
    try {
      await api.inference.load.mutate({ modelId: col.modelId, options: col.options ?? {} });
    } catch (error) {
      const message = errorMessage(error);
      set((s) => ({ loadErrors: { ...s.loadErrors, [col.modelId]: message } }));
      throw new Error(message);
    }
  };

  const addMessage = (req: AddMessageRequest): Promise<ConversationMessage> => api.conversations.addMessage.mutate(req);

  /** Adds a message to the open conversation as the server returned it, and makes it the active leaf. */
  const landMessage = (message: ConversationMessage): void => {
    set((state) => {
      const cur = state.current;
      if (!cur || cur.conversation.id !== message.conversationId) return state;
      return { current: { conversation: { ...cur.conversation, activeLeafId: message.id }, messages: [...cur.messages, message] } };
    });
  };

  /**
   * Generates replies to `user` for `columns` in the engine (conversations.reply), which saves each reply as it streams
   * (chained after the kept replies) and marks a cut-off one interrupted; here the columns only show the stream.
   * Loads each column's model first. Resolves once the engine ended every column.
   */
  const startRun = async (
    conversation: Conversation,
    _pathToUser: ConversationMessage[],
    user: ConversationMessage,
    columns: number[],
    kept: ConversationMessage[],
  ): Promise<void> => {
    const seq = ++runSeq;
    const params = conversation.params;
    const seed = conversation.sameSeed ? (params.seed ?? randomSeed()) : params.seed;
    const conversationId = conversation.id;
    const runColumns: Record<number, ColumnRun> = {};
    for (const column of columns) {
      runColumns[column] = { column, modelId: conversation.columns[column]!.modelId, text: '', chunks: 0, state: 'loading', error: null, metrics: null };
    }
    buffered.clear();
    set({ run: { seq, conversationId, userId: user.id, columns: runColumns, kept, seed }, lastRun: null, actionError: null });

    // The engine reads the params from the conversation: the edits not saved yet go first.
    await writeSettings();
    // Load every column's model with its options (a column that cannot load fails alone).
    let stopped = false;
    stoppers.set(-1, () => {
      stopped = true;
    });
    const loads = await Promise.all(
      columns.map((column) =>
        ensureLoaded(conversation.columns[column]!).then(
          () => true,
          (error: unknown) => {
            patchRun(seq, column, { state: 'failed', error: error instanceof Error ? error.message : String(error) });
            return false;
          },
        ),
      ),
    );
    const toRun = columns.filter((_, i) => loads[i]);
    if (stopped) for (const column of toRun) patchRun(seq, column, { state: 'stopped' });
    if (toRun.length && !stopped) {
      for (const column of toRun) patchRun(seq, column, { state: 'streaming' });
      await new Promise<void>((resolve) => {
        let finished = false;
        const finish = (): void => {
          if (finished) return;
          finished = true;
          stoppers.delete(-1);
          flush();
          resolve();
        };
        const subscription = api.conversations.reply.subscribe(
          { conversationId, userId: user.id, columns: toRun, keep: kept.map((k) => k.id), ...(seed === undefined ? {} : { seed }) },
          {
            onData(event) {
              if (event.type === 'text') {
                append(event.column, event.text);
                return;
              }
              if (event.type === 'message') return;
              flush();
              const metrics =
                (event.message?.metrics as SavedMetrics | null) ??
                (event.state === 'stopped' ? { finishReason: 'abort', ...(seed === undefined ? {} : { seed }) } : null);
              patchRun(seq, event.column, { state: event.state, error: event.error, metrics, ...(event.message ? { text: event.message.content } : {}) });
            },
            onError(error) {
              for (const column of toRun) {
                const col = get().run?.seq === seq ? get().run?.columns[column] : undefined;
                if (col && (col.state === 'loading' || col.state === 'streaming')) patchRun(seq, column, { state: 'failed', error: errorMessage(error) });
              }
              finish();
            },
            onComplete: finish,
          },
        );
        // Stop asks the engine to stop (it saves the partial replies, then ends the stream); the page going away ends it too.
        stoppers.set(-1, () => {
          api.conversations.stopReply.mutate({ conversationId }).catch((error: unknown) => {
            set({ actionError: `Could not stop: ${errorMessage(error)}` });
            subscription.unsubscribe();
            finish();
          });
        });
      });
    }
    stoppers.delete(-1);
    const finished = get().run;
    const outcome: RunOutcome | null =
      finished?.seq === seq
        ? {
            userId: user.id,
            columns: Object.fromEntries(Object.values(finished.columns).map((c) => [c.column, { state: c.state, error: c.error, chunks: c.chunks }])),
          }
        : null;
    if (get().selectedId === conversationId) await get().reload();
    set((state) => (state.run?.seq === seq ? { run: null, lastRun: outcome } : state));
    void get().refreshList();
  };

  const writeSettings = (): Promise<void> => {
    if (settingsTimer !== null) {
      window.clearTimeout(settingsTimer);
      settingsTimer = null;
    }
    const pending = pendingSettings;
    pendingSettings = null;
    if (!pending) return settingsWrite;
    set({ settingsState: 'saving', settingsError: null });
    settingsWrite = settingsWrite.then(async () => {
      try {
        const conversation = await api.conversations.update.mutate({ id: pending.id, ...pending.patch });
        set((state) => ({
          settingsState: pendingSettings ? 'saving' : 'saved',
          conversations: state.conversations.map((c) => (c.id === conversation.id ? conversation : c)),
        }));
      } catch (error) {
        set({ settingsState: 'failed', settingsError: errorMessage(error) });
      }
    });
    return settingsWrite;
  };

  return {
    conversations: [],
    listLoaded: false,
    listError: null,
    selectedId: readSelected(),
    current: null,
    currentError: null,
    loaded: [],
    loadErrors: {},
    sending: false,
    run: null,
    lastRun: null,
    actionError: null,
    settingsState: 'saved',
    settingsError: null,

    async refreshList() {
      const request = ++listRequest;
      try {
        const conversations = await api.conversations.list.query();
        if (request !== listRequest) return;
        set({ conversations, listLoaded: true, listError: null });
      } catch (error) {
        if (request === listRequest) set({ listLoaded: true, listError: errorMessage(error) });
      }
    },

    async select(id) {
      if (get().run && get().run?.conversationId !== id) get().stop();
      await writeSettings();
      writeSelected(id);
      set({
        selectedId: id,
        current: get().current?.conversation.id === id ? get().current : null,
        currentError: null,
        lastRun: null,
        actionError: null,
        settingsState: 'saved',
        settingsError: null,
      });
      if (!id) return;
      await get().reload();
      const current = get().current;
      if (current?.conversation.id === id) {
        for (const col of current.conversation.columns)
          get()
            .load(col)
            .catch(() => undefined);
      }
    },

    async reload() {
      const id = get().selectedId;
      if (!id) return;
      const request = ++getRequest;
      try {
        const current = await api.conversations.get.query({ id });
        if (request !== getRequest || get().selectedId !== id) return;
        // Settings edited but not saved yet stay as edited.
        const patch = pendingSettings?.id === id ? pendingSettings.patch : {};
        set({ current: { ...current, conversation: { ...current.conversation, ...patch } }, currentError: null });
      } catch (error) {
        if (request !== getRequest || get().selectedId !== id) return;
        if (isApiError(error) && error.data?.code === 'NOT_FOUND') {
          // Deleted elsewhere (or a stale remembered selection): nothing is open.
          writeSelected(null);
          set({ selectedId: null, current: null, currentError: null });
          return;
        }
        set({ current: null, currentError: errorMessage(error) });
      }
    },

    async create(req) {
      set({ actionError: null });
      try {
        const conversation = await api.conversations.create.mutate(req);
        set((state) => ({ conversations: [conversation, ...state.conversations.filter((c) => c.id !== conversation.id)] }));
        await get().select(conversation.id);
        return conversation;
      } catch (error) {
        set({ actionError: errorMessage(error) });
        return null;
      }
    },

    async rename(id, title) {
      set({ actionError: null });
      try {
        const conversation = await api.conversations.update.mutate({ id, title });
        set((state) => ({
          conversations: state.conversations.map((c) => (c.id === id ? conversation : c)),
          current:
            state.current?.conversation.id === id
              ? { ...state.current, conversation: { ...state.current.conversation, title: conversation.title } }
              : state.current,
        }));
        return true;
      } catch (error) {
        set({ actionError: errorMessage(error) });
        return false;
      }
    },

    async remove(id) {
      set({ actionError: null });
      if (get().run?.conversationId === id) get().stop();
      try {
        await api.conversations.remove.mutate({ id });
        set((state) => ({ conversations: state.conversations.filter((c) => c.id !== id) }));
        if (get().selectedId === id) await get().select(null);
        return true;
      } catch (error) {
        set({ actionError: errorMessage(error) });
        return false;
      }
    },

    updateSettings(patch) {
      const cur = get().current;
      if (!cur) return;
      const id = cur.conversation.id;
      set({ current: { ...cur, conversation: { ...cur.conversation, ...patch } }, settingsState: 'saving', settingsError: null });
      if (patch.title !== undefined) {
        set((state) => ({ conversations: state.conversations.map((c) => (c.id === id ? { ...c, title: patch.title! } : c)) }));
      }
      if (pendingSettings && pendingSettings.id !== id) void writeSettings();
      pendingSettings = { id, patch: { ...(pendingSettings?.patch ?? {}), ...patch } };
      if (settingsTimer !== null) window.clearTimeout(settingsTimer);
      settingsTimer = window.setTimeout(() => void writeSettings(), SETTINGS_DEBOUNCE_MS);
    },

    flushSettings() {
      return writeSettings();
    },

    async send(text) {
      const cur = get().current;
      if (!cur || get().run || get().sending || !text.trim()) return false;
      const conversation = cur.conversation;
      set({ sending: true, actionError: null });
      void writeSettings();
      try {
        const parentId = conversation.activeLeafId;
        const user = await addMessage({ conversationId: conversation.id, parentId, role: 'user', content: text, column: null, modelId: null, metrics: null });
        const path = [...pathTo(cur.messages, parentId), user];
        landMessage(user);
        set({ sending: false });
        void startRun(
          conversation,
          path,
          user,
          conversation.columns.map((_, i) => i),
          [],
        );
        return true;
      } catch (error) {
        set({ sending: false, actionError: `The message was not sent: ${errorMessage(error)}` });
        return false;
      }
    },

    async editUser(message, text) {
      const cur = get().current;
      if (!cur || get().run || get().sending || !text.trim()) return false;
      const conversation = cur.conversation;
      set({ sending: true, actionError: null });
      try {
        const user = await addMessage({
          conversationId: conversation.id,
          parentId: message.parentId,
          role: 'user',
          content: text,
          column: null,
          modelId: null,
          metrics: null,
        });
        const path = [...pathTo(cur.messages, message.parentId), user];
        landMessage(user);
        set({ sending: false });
        void startRun(
          conversation,
          path,
          user,
          conversation.columns.map((_, i) => i),
          [],
        );
        return true;
      } catch (error) {
        set({ sending: false, actionError: `The edit was not saved: ${errorMessage(error)}` });
        return false;
      }
    },

    regenerate(column, userId) {
      const cur = get().current;
      if (!cur || get().run || get().sending) return;
      const conversation = cur.conversation;
      const path = pathTo(cur.messages, conversation.activeLeafId);
      const turn = turnsOf(path).find((t) => t.user.id === userId);
      const pathToUser = pathTo(cur.messages, userId);
      const user = pathToUser.at(-1);
      if (!user || !conversation.columns[column]) return;
      const kept = turn
        ? [...turn.replies.entries()]
            .filter(([c]) => c !== column && conversation.columns[c])
            .sort(([a], [b]) => a - b)
            .map(([, m]) => m)
        : [];
      void startRun(conversation, pathToUser, user, [column], kept);
    },

    async showVersion(message) {
      const cur = get().current;
      if (!cur || get().run) return;
      const leaf = newestLeaf(cur.messages, message);
      const id = cur.conversation.id;
      set({ current: { ...cur, conversation: { ...cur.conversation, activeLeafId: leaf } }, lastRun: null });
      try {
        await api.conversations.update.mutate({ id, activeLeafId: leaf });
      } catch (error) {
        set({ actionError: `Could not switch branches: ${errorMessage(error)}` });
        await get().reload();
      }
    },

    stop() {
      for (const stopOne of [...stoppers.values()]) stopOne();
    },

    async load(column) {
      await ensureLoaded(column);
    },

    async unload(modelId) {
      try {
        await api.inference.unload.mutate({ modelId });
      } catch (error) {
        set({ actionError: errorMessage(error) });
      }
    },

    async exportDataset(dataset, column) {
      const id = get().selectedId;
      if (!id) throw new Error('No conversation is open.');
      return api.conversations.export.mutate({ conversationId: id, column, dataset });
    },

    clearActionError() {
      set({ actionError: null });
    },
  };
});

/** Keeps the loaded-model list live while the Chat page is open; returns the teardown. */
export function startInferenceFeed(): () => void {
  const refresh = (): void => {
    api.inference.list.query().then(
      (loaded) => useChat.setState({ loaded }),
      () => undefined,
    );
  };
  refresh();
  const subscription = api.inference.events.subscribe(undefined, {
    onStarted: refresh,
    onData: (loaded) => useChat.setState({ loaded }),
    onError: (error) => useChat.setState({ actionError: `Model status updates stopped: ${errorMessage(error)}` }),
  });
  return () => subscription.unsubscribe();
}
