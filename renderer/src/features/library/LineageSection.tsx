import { useModels, type LibraryModel } from '../../state/models';

interface LineageSectionProps {
  model: LibraryModel;
}

interface LinkListProps {
  ids: readonly string[];
  label: string;
  testId: string;
}

/** Ids of artifacts; the ones that are models in the library are links that select them. */
function LinkList({ ids, label, testId }: LinkListProps) {
  const models = useModels((s) => s.models);
  const select = useModels((s) => s.select);
  return (
    <div className="lineage-row">
      <span className="muted">{label}</span>
      <ul className="lineage-list" data-testid={testId}>
        {ids.map((id) => {
          const m = models.find((x) => x.id === id);
          return (
            <li key={id}>
              {m ? (
                <button type="button" className="link-button" onClick={() => select(id)} data-testid={`lineage-link-${id}`}>
                  {m.name}
                </button>
              ) : (
                <span className="mono muted" title="Not a model in the library">
                  {id}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** What the model was made from, and what was made from it. */
export function LineageSection({ model }: LineageSectionProps) {
  const none = model.parents.length === 0 && model.children.length === 0;
  return (
    <section className="detail-section" aria-labelledby="lineage-title" data-testid="lineage">
      <h3 id="lineage-title">Lineage</h3>
      {none && <p className="muted">Nothing was derived from this model, and it was not made from another one here.</p>}
      {model.parents.length > 0 && <LinkList ids={model.parents} label="Made from" testId="lineage-parents" />}
      {model.children.length > 0 && <LinkList ids={model.children} label="Used to make" testId="lineage-children" />}
    </section>
  );
}
