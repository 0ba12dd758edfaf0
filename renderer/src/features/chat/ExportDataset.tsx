import { useId, useState } from 'react';
import type { Conversation, ExportResult } from '../../../../shared/chat';
import { errorMessage } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { useChat } from '../../state/chat';
import { CopyButton } from '../library/CopyButton';

const NAME = /^[\w. -]+$/;

interface ExportDatasetProps {
  conversation: Conversation;
  nameOf: (modelId: string) => string;
  disabled: boolean;
}

/**
 * "Export to dataset": the shown branch as one `{"messages": [...]}` JSONL row, with one column's replies as the
 * assistant turns, appended to a named dataset.
 */
export function ExportDataset({ conversation, nameOf, disabled }: ExportDatasetProps) {
  const exportDataset = useChat((s) => s.exportDataset);
  const ids = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [column, setColumn] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<ExportResult | null>(null);
  const trimmed = name.trim();
  const invalid = trimmed !== '' && (!NAME.test(trimmed) || trimmed.length > 100);

  const submit = async (): Promise<void> => {
    if (!trimmed || invalid) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await exportDataset(trimmed, Math.min(column, conversation.columns.length - 1)));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (!open) {
    return (
      <button
        type="button"
        className="button"
        disabled={disabled}
        onClick={() => {
          setOpen(true);
          setResult(null);
          setError(null);
        }}
        data-testid="chat-export"
      >
        Export to dataset
      </button>
    );
  }

  return (
    <form
      className="card chat-export"
      noValidate
      aria-labelledby={`${ids}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          setOpen(false);
        }
      }}
    >
      <div className="detail-header">
        <h3 id={`${ids}-title`}>Export to dataset</h3>
        <button
          type="button"
          className="button button-ghost button-small"
          onClick={() => setOpen(false)}
          aria-label="Close the export form"
          data-testid="chat-export-close"
        >
          Close
        </button>
      </div>
      <p className="muted">The shown branch becomes one chat row; a dataset that exists is appended to.</p>
      <div className="chat-export-fields">
        <div className="field">
          <label htmlFor={`${ids}-name`}>Dataset name</label>
          <input
            id={`${ids}-name`}
            className="input"
            value={name}
            maxLength={100}
            autoFocus
            placeholder="my-chat-data"
            aria-invalid={invalid}
            onChange={(e) => setName(e.target.value)}
            data-testid="chat-export-name"
          />
          {invalid && <span className="chat-field-error">Letters, digits, space, dot, dash and underscore only.</span>}
        </div>
        {conversation.columns.length > 1 && (
          <div className="field">
            <label htmlFor={`${ids}-column`}>Assistant replies from</label>
            <select
              id={`${ids}-column`}
              className="input select"
              value={column}
              onChange={(e) => setColumn(Number(e.target.value))}
              data-testid="chat-export-column"
            >
              {conversation.columns.map((c, i) => (
                <option key={i} value={i}>
                  Column {i + 1}: {nameOf(c.modelId)}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      {error && <ErrorNote message={error} testId="chat-export-error" />}
      <div className="job-actions">
        <button type="submit" className="button button-primary" disabled={busy || !trimmed || invalid} data-testid="chat-export-confirm">
          {busy ? 'Exporting…' : 'Export'}
        </button>
      </div>
      {result && (
        <div
          className="notice chat-export-result"
          role="status"
          data-testid="chat-export-result"
          data-path={result.path}
          data-rows={result.rows}
          data-written={result.report.written}
        >
          <span>
            {result.report.written > 0 ? 'Wrote' : 'Nothing written to'} <span className="mono selectable">{result.path}</span> —{' '}
            {result.rows.toLocaleString('en-US')} row
            {result.rows === 1 ? '' : 's'} in the dataset.
          </span>
          <CopyButton text={result.path} label="Copy the path" />
        </div>
      )}
      {result && (result.report.fixed.length > 0 || result.report.skipped.length > 0) && (
        <div
          className="notice chat-export-report"
          data-testid="chat-export-report"
          data-fixed={result.report.fixed.length}
          data-skipped={result.report.skipped.length}
        >
          <p>Checked against the OpenAI chat fine-tuning format:</p>
          <ul>
            {result.report.fixed.map((f, i) => (
              <li key={`f${i}`} data-testid="chat-export-fixed">
                Row {f.row}: fixed — {f.what}
              </li>
            ))}
            {result.report.skipped.map((s, i) => (
              <li key={`s${i}`} className="chat-field-error" data-testid="chat-export-skipped">
                Row {s.row}: skipped — {s.why}
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
