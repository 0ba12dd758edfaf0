import { useId } from 'react';
import type { Conversation } from '../../../../shared/chat';
import { ErrorNote } from '../../components/ErrorNote';
import { useChat } from '../../state/chat';
import { GenerationFields } from './GenerationFields';
import { ParamsFields } from './ParamsFields';

interface SettingsPanelProps {
  conversation: Conversation;
  nameOf: (modelId: string) => string;
  disabled: boolean;
}

/** The open conversation's system prompt, seed policy and sampling parameters, saved as they change. */
export function SettingsPanel({ conversation, nameOf, disabled }: SettingsPanelProps) {
  const updateSettings = useChat((s) => s.updateSettings);
  const settingsState = useChat((s) => s.settingsState);
  const settingsError = useChat((s) => s.settingsError);
  const ids = useId();
  return (
    <aside className="chat-settings" aria-labelledby={`${ids}-title`} data-testid="chat-params">
      <div className="chat-settings-head">
        <h2 id={`${ids}-title`}>Parameters</h2>
        <span className="muted" aria-live="polite" data-testid="chat-params-status" data-state={settingsState}>
          {settingsState === 'saving' ? 'Saving…' : settingsState === 'saved' ? 'Saved' : 'Not saved'}
        </span>
      </div>
      {settingsError && <ErrorNote message={settingsError} testId="chat-params-error" />}
      <div className="field">
        <label htmlFor={`${ids}-system`}>System prompt</label>
        <textarea
          id={`${ids}-system`}
          className="input textarea"
          rows={4}
          value={conversation.systemPrompt}
          maxLength={100_000}
          disabled={disabled}
          placeholder="Optional: how the models should behave"
          onChange={(e) => updateSettings({ systemPrompt: e.target.value })}
          data-testid="chat-system-prompt"
        />
      </div>
      <label
        className="chat-switch"
        title="Every column samples with the same seed, so the differences come from the models. Without a seed set below, a random one is drawn per send."
      >
        <input
          type="checkbox"
          role="switch"
          checked={conversation.sameSeed}
          disabled={disabled}
          onChange={(e) => updateSettings({ sameSeed: e.target.checked })}
          data-testid="chat-same-seed"
        />
        Same seed in every column
      </label>
      <ParamsFields params={conversation.params} disabled={disabled} onChange={(params) => updateSettings({ params })} testPrefix="chat-param" />
      <GenerationFields params={conversation.params} disabled={disabled} onChange={(params) => updateSettings({ params })} />
      <section className="chat-settings-columns" aria-label="Columns">
        <h3>Columns</h3>
        <ol>
          {conversation.columns.map((c, i) => (
            <li key={i}>
              <span>{nameOf(c.modelId)}</span>
              {c.options && (
                <span className="muted">
                  {' '}
                  · ctx {c.options.contextSize}
                  {c.options.threads ? ` · ${c.options.threads} threads` : ''}
                  {c.options.gpu !== 'auto' ? ` · ${c.options.gpu}` : ''}
                </span>
              )}
            </li>
          ))}
        </ol>
      </section>
    </aside>
  );
}
