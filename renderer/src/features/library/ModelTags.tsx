import { useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import type { LibraryModel } from '../../state/models';
import { useModelUpdate } from './useModelUpdate';

interface ModelTagsProps {
  model: LibraryModel;
}

/** Tags as removable chips, and a field that adds one (Enter or comma). */
export function ModelTags({ model }: ModelTagsProps) {
  const { save, saving, error } = useModelUpdate(model.id);
  const [draft, setDraft] = useState('');

  const add = async (): Promise<void> => {
    const tag = draft.trim();
    if (!tag) return;
    if (model.tags.includes(tag)) {
      setDraft('');
      return;
    }
    if (await save({ tags: [...model.tags, tag] })) setDraft('');
  };

  return (
    <section className="detail-section" aria-labelledby="model-tags-title">
      <h3 id="model-tags-title">Tags</h3>
      <div className="chips tag-list" data-testid="model-tags">
        {model.tags.map((tag) => (
          <span key={tag} className="chip tag" data-testid={`model-tag-${tag}`}>
            {tag}
            <button
              type="button"
              className="tag-remove"
              aria-label={`Remove tag ${tag}`}
              disabled={saving}
              onClick={() => void save({ tags: model.tags.filter((t) => t !== tag) })}
            >
              ×
            </button>
          </span>
        ))}
        <input
          className="input tag-input"
          placeholder="Add a tag"
          aria-label="Add a tag"
          value={draft}
          maxLength={50}
          disabled={saving}
          onChange={(e) => setDraft(e.target.value.replace(',', ''))}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ',') {
              e.preventDefault();
              void add();
            }
          }}
          data-testid="model-tag-input"
        />
      </div>
      {error && <ErrorNote message={error} testId="model-tags-error" />}
    </section>
  );
}
