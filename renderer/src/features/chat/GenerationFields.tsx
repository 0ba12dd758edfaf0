import { useId, useState } from 'react';
import type { ConversationParams } from '../../../../shared/chat';
import { formatSchema, formatTools, NAMED_TEMPLATES, parseJsonSchema, parseTools, templateChoice, withParam, type Parsed } from './generationView';

interface JsonFieldProps<T> {
  label: string;
  value: T;
  format: (value: T) => string;
  parse: (text: string) => Parsed<T>;
  onChange: (value: T) => void;
  placeholder: string;
  hint: string;
  disabled?: boolean;
  testId: string;
}

/** A JSON textarea that keeps what is typed; only a valid value reaches `onChange`, an invalid one names its error. */
function JsonField<T>({ label, value, format, parse, onChange, placeholder, hint, disabled, testId }: JsonFieldProps<T>) {
  const id = useId();
  const [text, setText] = useState(() => format(value));
  const [seen, setSeen] = useState(() => JSON.stringify(value ?? null));
  if (JSON.stringify(value ?? null) !== seen) {
    setSeen(JSON.stringify(value ?? null));
    setText(format(value));
  }
  const parsed = parse(text);
  return (
    <div className="field chat-json-field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className="input textarea mono"
        rows={4}
        value={text}
        spellCheck={false}
        disabled={disabled}
        placeholder={placeholder}
        aria-invalid={!parsed.ok}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          setText(e.target.value);
          const next = parse(e.target.value);
          if (next.ok) {
            setSeen(JSON.stringify(next.value ?? null));
            onChange(next.value);
          }
        }}
        data-testid={testId}
      />
      <span
        id={`${id}-hint`}
        className={parsed.ok ? 'muted chat-field-hint' : 'chat-field-error'}
        data-testid={parsed.ok ? undefined : `${testId}-error`}
        role={parsed.ok ? undefined : 'alert'}
      >
        {parsed.ok ? hint : `${parsed.error} — not saved`}
      </span>
    </div>
  );
}

interface GenerationFieldsProps {
  params: ConversationParams;
  onChange: (params: ConversationParams) => void;
  disabled?: boolean;
}

/** The chat template (the model's own, a named one, or custom Jinja), structured output (a JSON schema) and tools. */
export function GenerationFields({ params, onChange, disabled }: GenerationFieldsProps) {
  const id = useId();
  const choice = templateChoice(params.chatTemplate);
  const [customDraft, setCustomDraft] = useState<string | null>(null);
  const showCustom = choice === 'custom' || customDraft !== null;
  const both = Boolean(params.jsonSchema && params.tools?.length);
  return (
    <section className="chat-generation-fields" aria-label="Template and output">
      <div className="field">
        <label htmlFor={`${id}-template`}>Chat template</label>
        <select
          id={`${id}-template`}
          className="input select"
          value={showCustom ? 'custom' : choice}
          disabled={disabled}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'custom') {
              setCustomDraft(params.chatTemplate ?? '');
              return;
            }
            setCustomDraft(null);
            onChange(withParam(params, 'chatTemplate', v === 'model' ? undefined : NAMED_TEMPLATES.find((t) => t.id === v)?.template));
          }}
          data-testid="chat-template-choice"
        >
          <option value="model">The model’s own</option>
          {NAMED_TEMPLATES.map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
            </option>
          ))}
          <option value="custom">Custom (Jinja)…</option>
        </select>
      </div>
      {showCustom && (
        <div className="field">
          <label htmlFor={`${id}-jinja`}>Custom Jinja template</label>
          <textarea
            id={`${id}-jinja`}
            className="input textarea mono"
            rows={5}
            spellCheck={false}
            maxLength={100_000}
            disabled={disabled}
            value={customDraft ?? params.chatTemplate ?? ''}
            placeholder="{% for message in messages %}…{% endfor %}"
            onChange={(e) => {
              setCustomDraft(e.target.value);
              onChange(withParam(params, 'chatTemplate', e.target.value.trim() ? e.target.value : undefined));
            }}
            data-testid="chat-template-custom"
          />
          <span className="muted chat-field-hint">Rendered with messages, add_generation_prompt, bos_token and eos_token; an error shows on the reply.</span>
        </div>
      )}
      <JsonField
        label="JSON schema (structured output)"
        value={params.jsonSchema}
        format={formatSchema}
        parse={parseJsonSchema}
        onChange={(v) => onChange(withParam(params, 'jsonSchema', v))}
        placeholder='{"type":"object","properties":{"answer":{"type":"string"}}}'
        hint="Empty: free text. Replies are constrained to this schema."
        disabled={disabled}
        testId="chat-json-schema"
      />
      <JsonField
        label="Tools"
        value={params.tools}
        format={formatTools}
        parse={parseTools}
        onChange={(v) => onChange(withParam(params, 'tools', v))}
        placeholder='[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]'
        hint="A JSON array of OpenAI function tools; empty: none."
        disabled={disabled}
        testId="chat-tools"
      />
      {both && (
        <p className="chat-field-error" role="alert" data-testid="chat-generation-conflict">
          A JSON schema cannot be combined with tools (the tool parameters are the schema): clear one.
        </p>
      )}
    </section>
  );
}
