import { useEffect, useId, useState } from 'react';
import type { ChatColumn } from '../../../../shared/chat';
import type { LoadOptions, SamplingParams } from '../../../../shared/inference';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes } from '../../lib/format';
import { useChat } from '../../state/chat';
import { useModels, type LibraryModel } from '../../state/models';
import { DEFAULT_PARAMS } from './chatView';
import { NumberField, ParamsFields } from './ParamsFields';

const MAX_COLUMNS = 4;
const GPU_CHOICES = ['auto', 'cpu', 'cuda', 'vulkan', 'metal'] as const;
type GpuChoice = (typeof GPU_CHOICES)[number];

interface NewConversationProps {
  onDone: () => void;
}

/** A new conversation: 1–4 GGUF models side by side, a system prompt, sampling parameters and how the models load. */
export function NewConversation({ onDone }: NewConversationProps) {
  const models = useModels((s) => s.models);
  const refreshModels = useModels((s) => s.refresh);
  const modelsLoaded = useModels((s) => s.loaded);
  const modelsError = useModels((s) => s.listError);
  const create = useChat((s) => s.create);
  const actionError = useChat((s) => s.actionError);
  const ids = useId();

  const gguf = models.filter((m) => m.format === 'gguf');
  const [picked, setPicked] = useState<string[]>([]);
  const [title, setTitle] = useState('');
  const [systemPrompt, setSystemPrompt] = useState('');
  const [params, setParams] = useState<SamplingParams>(DEFAULT_PARAMS);
  const [sameSeed, setSameSeed] = useState(true);
  const [contextSize, setContextSize] = useState<number | undefined>(undefined);
  const [threads, setThreads] = useState<number | undefined>(undefined);
  const [gpu, setGpu] = useState<GpuChoice>('auto');
  const [busy, setBusy] = useState(false);

  // Models imported since the page opened are offered too.
  useEffect(() => {
    void refreshModels();
  }, [refreshModels]);

  const toggle = (id: string): void => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length < MAX_COLUMNS ? [...p, id] : p));

  const loadOptions = (): Partial<LoadOptions> | undefined => {
    const o: Partial<LoadOptions> = {};
    if (contextSize !== undefined) o.contextSize = contextSize;
    if (threads !== undefined) o.threads = threads;
    if (gpu !== 'auto') o.gpu = gpu;
    return Object.keys(o).length ? o : undefined;
  };

  const submit = async (): Promise<void> => {
    if (picked.length === 0) return;
    setBusy(true);
    const options = loadOptions();
    // The engine fills in every other load option with its default.
    const columns = picked.map((modelId) => (options ? { modelId, options: options as LoadOptions } : { modelId })) satisfies ChatColumn[];
    const conversation = await create({ title: title.trim() || defaultTitle(picked, gguf), columns, systemPrompt, params, sameSeed });
    setBusy(false);
    if (conversation) onDone();
  };

  return (
    <form
      className="card chat-new"
      noValidate
      aria-labelledby={`${ids}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      data-testid="chat-new-form"
    >
      <div className="detail-header">
        <h2 id={`${ids}-title`}>New conversation</h2>
        <button type="button" className="button button-ghost button-small" onClick={onDone} aria-label="Close the new conversation form">
          Close
        </button>
      </div>

      <fieldset className="chat-model-picker" data-testid="chat-model-picker">
        <legend>
          Models <span className="muted">(one column each, up to {MAX_COLUMNS}; GGUF only)</span>
        </legend>
        {modelsError && <ErrorNote message={modelsError} />}
        {!modelsLoaded && <p className="muted">Loading the library…</p>}
        {modelsLoaded && gguf.length === 0 && (
          <p className="muted" data-testid="chat-no-models">
            No GGUF models in the library yet. Import or download one in the Library first.
          </p>
        )}
        <ul className="chat-model-options">
          {gguf.map((m) => {
            const order = picked.indexOf(m.id);
            return (
              <li key={m.id}>
                <label className="chat-model-option">
                  <input
                    type="checkbox"
                    checked={order >= 0}
                    disabled={order < 0 && picked.length >= MAX_COLUMNS}
                    onChange={() => toggle(m.id)}
                    data-testid="chat-model-option"
                    data-model-id={m.id}
                  />
                  <span className="chat-model-option-name">{m.name}</span>
                  <ModelFacts model={m} />
                  {order >= 0 && <span className="badge badge-info">Column {order + 1}</span>}
                </label>
              </li>
            );
          })}
        </ul>
      </fieldset>

      <div className="field">
        <label htmlFor={`${ids}-name`}>Title</label>
        <input
          id={`${ids}-name`}
          className="input"
          value={title}
          maxLength={200}
          placeholder={picked.length ? defaultTitle(picked, gguf) : 'New conversation'}
          onChange={(e) => setTitle(e.target.value)}
          data-testid="chat-new-title"
        />
      </div>
      <div className="field">
        <label htmlFor={`${ids}-system`}>System prompt</label>
        <textarea
          id={`${ids}-system`}
          className="input textarea"
          rows={3}
          value={systemPrompt}
          onChange={(e) => setSystemPrompt(e.target.value)}
          placeholder="Optional: how the models should behave"
          data-testid="chat-new-system"
        />
      </div>

      <fieldset className="chat-fieldset">
        <legend>Sampling</legend>
        <ParamsFields params={params} onChange={setParams} testPrefix="chat-new-param" />
        <label className="chat-switch">
          <input type="checkbox" checked={sameSeed} onChange={(e) => setSameSeed(e.target.checked)} data-testid="chat-new-same-seed" />
          Same seed in every column
        </label>
      </fieldset>

      <fieldset className="chat-fieldset">
        <legend>Loading</legend>
        <div className="chat-params-grid">
          <NumberField
            label="Context size"
            value={contextSize}
            min={32}
            max={1 << 20}
            step={1}
            integer
            optional
            placeholder="4096"
            hint="Capped at the model’s"
            onChange={setContextSize}
            testId="chat-new-context"
          />
          <NumberField
            label="CPU threads"
            value={threads}
            min={0}
            max={256}
            step={1}
            integer
            optional
            placeholder="auto"
            onChange={setThreads}
            testId="chat-new-threads"
          />
          <div className="field">
            <label htmlFor={`${ids}-gpu`}>GPU</label>
            <select id={`${ids}-gpu`} className="input select" value={gpu} onChange={(e) => setGpu(e.target.value as GpuChoice)} data-testid="chat-new-gpu">
              {GPU_CHOICES.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </select>
          </div>
        </div>
      </fieldset>

      {actionError && <ErrorNote message={actionError} testId="chat-new-error" />}
      <div className="job-actions">
        <button type="submit" className="button button-primary" disabled={busy || picked.length === 0} data-testid="chat-new-create">
          Start chatting{picked.length > 1 ? ` with ${picked.length} models` : ''}
        </button>
        <button type="button" className="button" onClick={onDone} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ModelFacts({ model }: { model: LibraryModel }) {
  const i = model.inspection;
  const facts = [i.quantization, formatBytes(model.sizeBytes), i.contextLength ? `ctx ${i.contextLength.toLocaleString('en-US')}` : null].filter(Boolean);
  return <span className="muted chat-model-option-facts">{facts.join(' · ')}</span>;
}

function defaultTitle(picked: string[], models: LibraryModel[]): string {
  const names = picked.map((id) => models.find((m) => m.id === id)?.name ?? id);
  return names.length === 1 ? `Chat with ${names[0]}` : names.join(' vs ');
}
