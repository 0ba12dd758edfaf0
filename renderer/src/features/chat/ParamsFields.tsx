import { useId, useState } from 'react';
import type { SamplingParams } from '../../../../shared/inference';
import { applyPreset, formatStops, parseStops, PRESETS, presetOf } from './chatView';

interface NumberFieldProps {
  label: string;
  value: number | undefined;
  onChange: (value: number | undefined) => void;
  min: number;
  max: number;
  step: number;
  integer?: boolean;
  /** Empty is allowed and means "not set". */
  optional?: boolean;
  placeholder?: string;
  hint?: string;
  disabled?: boolean;
  testId: string;
}

const show = (value: number | undefined): string => (value === undefined ? '' : String(value));

/**
 * A number input that keeps what is typed ("0.", "") while only valid values reach `onChange`; a change from
 * outside (a preset) replaces the text.
 */
export function NumberField({ label, value, onChange, min, max, step, integer, optional, placeholder, hint, disabled, testId }: NumberFieldProps) {
  const id = useId();
  const [text, setText] = useState(() => show(value));
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    setText(show(value));
  }
  const parse = (raw: string): number | undefined | null => {
    if (raw.trim() === '') return optional ? undefined : null;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return null;
    return n;
  };
  const invalid = parse(text) === null;
  return (
    <div className="field chat-number-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        type="number"
        inputMode={integer ? 'numeric' : 'decimal'}
        min={min}
        max={max}
        step={step}
        value={text}
        placeholder={placeholder}
        disabled={disabled}
        aria-invalid={invalid}
        aria-describedby={hint || invalid ? `${id}-hint` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const v = parse(e.target.value);
          if (v !== null) {
            setSeen(v);
            onChange(v);
          }
        }}
        data-testid={testId}
      />
      {(hint || invalid) && (
        <span id={`${id}-hint`} className={invalid ? 'chat-field-error' : 'muted chat-field-hint'}>
          {invalid ? `${integer ? 'A whole number' : 'A number'} from ${min} to ${max}${optional ? ', or empty' : ''}` : hint}
        </span>
      )}
    </div>
  );
}

function StopField({ stops, onChange, disabled, testId }: { stops: string[]; onChange: (stops: string[]) => void; disabled?: boolean; testId: string }) {
  const id = useId();
  const [text, setText] = useState(() => formatStops(stops));
  const [seen, setSeen] = useState(() => JSON.stringify(stops));
  if (JSON.stringify(stops) !== seen) {
    setSeen(JSON.stringify(stops));
    setText(formatStops(stops));
  }
  return (
    <div className="field chat-stop-field">
      <label htmlFor={id}>Stop strings</label>
      <textarea
        id={id}
        className="input textarea mono"
        rows={2}
        value={text}
        disabled={disabled}
        placeholder="One a line; \n is a newline"
        onChange={(e) => {
          setText(e.target.value);
          const next = parseStops(e.target.value);
          setSeen(JSON.stringify(next));
          onChange(next);
        }}
        data-testid={testId}
      />
    </div>
  );
}

interface ParamsFieldsProps {
  params: SamplingParams;
  onChange: (params: SamplingParams) => void;
  /** data-testid prefix: `<prefix>-temperature`, `<prefix>-preset-precise`… */
  testPrefix: string;
  disabled?: boolean;
}

/** Sampling parameters with presets. */
export function ParamsFields({ params, onChange, testPrefix, disabled }: ParamsFieldsProps) {
  const preset = presetOf(params);
  const set = <K extends keyof SamplingParams>(key: K, value: SamplingParams[K]): void => onChange({ ...params, [key]: value });
  return (
    <div className="chat-params-fields">
      <div className="segmented" role="group" aria-label="Presets">
        {PRESETS.map((p) => (
          <button
            key={p.id}
            type="button"
            className="segment"
            aria-pressed={preset === p.id}
            title={p.hint}
            disabled={disabled}
            onClick={() => onChange(applyPreset(params, p.id))}
            data-testid={`${testPrefix}-preset-${p.id}`}
          >
            {p.label}
          </button>
        ))}
      </div>
      <div className="chat-params-grid">
        <NumberField
          label="Temperature"
          value={params.temperature}
          min={0}
          max={5}
          step={0.05}
          disabled={disabled}
          onChange={(v) => set('temperature', v ?? 0)}
          testId={`${testPrefix}-temperature`}
        />
        <NumberField
          label="Top-k"
          value={params.topK}
          min={0}
          max={1000}
          step={1}
          integer
          disabled={disabled}
          hint="0: off"
          onChange={(v) => set('topK', v ?? 0)}
          testId={`${testPrefix}-top-k`}
        />
        <NumberField
          label="Top-p"
          value={params.topP}
          min={0}
          max={1}
          step={0.01}
          disabled={disabled}
          onChange={(v) => set('topP', v ?? 1)}
          testId={`${testPrefix}-top-p`}
        />
        <NumberField
          label="Min-p"
          value={params.minP}
          min={0}
          max={1}
          step={0.01}
          disabled={disabled}
          onChange={(v) => set('minP', v ?? 0)}
          testId={`${testPrefix}-min-p`}
        />
        <NumberField
          label="Repeat penalty"
          value={params.repeatPenalty}
          min={0}
          max={5}
          step={0.05}
          disabled={disabled}
          hint="1: off"
          onChange={(v) => set('repeatPenalty', v ?? 1)}
          testId={`${testPrefix}-repeat-penalty`}
        />
        <NumberField
          label="Max tokens"
          value={params.maxTokens}
          min={1}
          max={1 << 20}
          step={1}
          integer
          disabled={disabled}
          onChange={(v) => set('maxTokens', v ?? 1)}
          testId={`${testPrefix}-max-tokens`}
        />
        <NumberField
          label="Seed"
          value={params.seed}
          min={0}
          max={2 ** 32 - 1}
          step={1}
          integer
          optional
          placeholder="random"
          disabled={disabled}
          onChange={(v) => onChange(v === undefined ? withoutSeed(params) : { ...params, seed: v })}
          testId={`${testPrefix}-seed`}
        />
      </div>
      <StopField stops={params.stop} disabled={disabled} onChange={(stop) => set('stop', stop)} testId={`${testPrefix}-stop`} />
    </div>
  );
}

function withoutSeed(params: SamplingParams): SamplingParams {
  const { seed: _seed, ...rest } = params;
  return rest;
}
