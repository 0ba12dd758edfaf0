import { useRef, useState, type KeyboardEvent } from 'react';
import { ErrorNote } from './ErrorNote';

interface InlineEditProps {
  value: string;
  /** Saves the edited text; a rejection keeps the field open with the text and shows the error. */
  onSave: (value: string) => unknown;
  /** Accessible name of the field, e.g. "Model name". */
  label: string;
  /** A message when the text cannot be saved as it is, else null. */
  validate?: (value: string) => string | null;
  /** Shown in place of an empty value. */
  placeholder?: string;
  maxLength?: number;
  /** Text of a button beside the value that also starts editing, e.g. "Rename". */
  editLabel?: string;
  /** Wraps the value in a heading (the field replaces it while editing). */
  heading?: 'h2' | 'h3';
  className?: string;
  /** The value's test id; the field, error and button get `-input`, `-error`, `-edit` added (or `editTestId`). */
  testId?: string;
  editTestId?: string;
}

type Mode = { kind: 'view' } | { kind: 'edit'; draft: string; error: string | null } | { kind: 'saving'; draft: string };

/**
 * Text that becomes a field when clicked (or on Enter or F2 while focused). Enter or leaving the field saves,
 * Escape cancels. While `onSave` runs the field shows "Saving…"; if it fails the field stays open with the text
 * as typed and the error below it. Unchanged text closes without saving.
 */
export function InlineEdit({
  value,
  onSave,
  label,
  validate,
  placeholder,
  maxLength,
  editLabel,
  heading: Heading,
  className,
  testId,
  editTestId,
}: InlineEditProps) {
  const [mode, setMode] = useState<Mode>({ kind: 'view' });
  const display = useRef<HTMLSpanElement>(null);
  // Closing by Escape or Enter also blurs the field: that blur must not save again.
  const closing = useRef(false);
  const part = (suffix: string): string | undefined => (testId ? `${testId}-${suffix}` : undefined);

  const start = (): void => {
    closing.current = false;
    setMode({ kind: 'edit', draft: value, error: null });
  };
  const close = (refocus: boolean): void => {
    closing.current = true;
    setMode({ kind: 'view' });
    if (refocus) requestAnimationFrame(() => display.current?.focus());
  };

  const commit = async (draft: string, refocus: boolean): Promise<void> => {
    if (draft === value) return close(refocus);
    const invalid = validate?.(draft) ?? null;
    if (invalid) return setMode({ kind: 'edit', draft, error: invalid });
    setMode({ kind: 'saving', draft });
    try {
      await onSave(draft);
      close(refocus);
    } catch (e) {
      setMode({ kind: 'edit', draft, error: e instanceof Error ? e.message : String(e) });
    }
  };

  const onFieldKey = (event: KeyboardEvent<HTMLInputElement>, draft: string): void => {
    if (event.key === 'Enter') {
      event.preventDefault();
      void commit(draft, true);
    } else if (event.key === 'Escape') {
      // The field's Escape is its own: it must not also close the pane around it.
      event.preventDefault();
      event.stopPropagation();
      close(true);
    }
  };

  const rootClass = `inline-edit${mode.kind === 'view' ? '' : ' inline-edit-editing'}${className ? ` ${className}` : ''}`;
  if (mode.kind === 'view') {
    const shown = (
      <span
        ref={display}
        className={`inline-edit-value${value ? '' : ' muted'}`}
        role="button"
        tabIndex={0}
        title="Click to edit"
        aria-label={`${label}: ${value || placeholder || 'empty'}. Press Enter to edit`}
        onClick={start}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === 'F2') {
            e.preventDefault();
            start();
          }
        }}
        data-testid={testId}
      >
        {value || placeholder}
      </span>
    );
    return (
      <div className={rootClass}>
        {Heading ? <Heading>{shown}</Heading> : shown}
        {editLabel && (
          <button type="button" className="button button-ghost button-small" onClick={start} data-testid={editTestId ?? part('edit')}>
            {editLabel}
          </button>
        )}
      </div>
    );
  }

  const saving = mode.kind === 'saving';
  const error = mode.kind === 'edit' ? mode.error : null;
  return (
    <div className={rootClass}>
      <input
        className="input"
        aria-label={label}
        aria-invalid={error !== null}
        aria-busy={saving}
        value={mode.draft}
        maxLength={maxLength}
        readOnly={saving}
        autoFocus
        onChange={(e) => setMode({ kind: 'edit', draft: e.target.value, error: null })}
        onKeyDown={(e) => onFieldKey(e, mode.draft)}
        onBlur={() => {
          if (!closing.current && !saving) void commit(mode.draft, false);
        }}
        data-testid={part('input')}
      />
      {saving && (
        <span className="muted" role="status" data-testid={part('saving')}>
          Saving…
        </span>
      )}
      {error && <ErrorNote message={error} testId={part('error')} />}
    </div>
  );
}
