import { useState } from 'react';
import { api, errorMessage } from '../../api/client';
import type { Job } from '../../api/types';
import { useJobs } from '../../state/jobs';
import { useModels } from '../../state/models';
import { ImportProgress } from './ImportProgress';

interface ImportFormProps {
  onClose: () => void;
}

type Mode = 'reference' | 'copy';

/**
 * Imports a GGUF file or a model folder by path (the browser has no native file dialog to give one).
 * The import runs as a job; its progress shows here and, once it succeeds, the new model is selected.
 */
export function ImportForm({ onClose }: ImportFormProps) {
  const upsert = useJobs((s) => s.upsert);
  const selectOnSuccess = useModels((s) => s.selectOnSuccess);
  const [path, setPath] = useState('');
  const [mode, setMode] = useState<Mode>('reference');
  const [name, setName] = useState('');
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJobs((s) => (jobId ? s.jobs[jobId] : undefined));
  const running = job?.state === 'queued' || job?.state === 'running';

  const submit = async (): Promise<void> => {
    setStarting(true);
    setStartError(null);
    setJobId(null);
    try {
      const started: Job = await api.models.import.mutate({ path: path.trim(), mode, ...(name.trim() ? { name: name.trim() } : {}) });
      upsert(started);
      selectOnSuccess(started.id);
      setJobId(started.id);
    } catch (e) {
      setStartError(errorMessage(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <form
      className="card import-form"
      aria-label="Import a model"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      data-testid="import-form"
    >
      <div className="section-header">
        <h2>Import a model</h2>
        <button type="button" className="button button-ghost" onClick={onClose} aria-label="Close the import form">
          ✕
        </button>
      </div>
      <label className="field">
        <span>Path to a GGUF file or a model folder (on the machine the engine runs on)</span>
        <input
          className="input mono"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="/home/me/models/qwen2.5-0.5b-instruct-q4_k_m.gguf"
          required
          spellCheck={false}
          autoFocus
          data-testid="import-path"
        />
      </label>
      <fieldset className="field radio-group">
        <legend>How</legend>
        <label>
          <input
            type="radio"
            name="import-mode"
            value="reference"
            checked={mode === 'reference'}
            onChange={() => setMode('reference')}
            data-testid="import-mode-reference"
          />
          Use in place <span className="muted">— the files stay where they are and are never deleted by Whittle</span>
        </label>
        <label>
          <input type="radio" name="import-mode" value="copy" checked={mode === 'copy'} onChange={() => setMode('copy')} data-testid="import-mode-copy" />
          Copy into library <span className="muted">— Whittle keeps its own copy in its data folder</span>
        </label>
      </fieldset>
      <label className="field">
        <span>
          Name <span className="muted">(optional; defaults to the model’s own name)</span>
        </span>
        <input className="input" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} data-testid="import-name" />
      </label>
      <div className="job-actions">
        <button type="submit" className="button button-primary" disabled={starting || running || !path.trim()} data-testid="import-submit">
          {starting ? 'Starting…' : running ? 'Importing…' : 'Import'}
        </button>
      </div>
      {(startError || job) && <ImportProgress job={job} startError={startError} />}
    </form>
  );
}
