import { api, errorMessage } from '../../api/client';
import { InlineEdit } from '../../components/InlineEdit';
import { useModels, type LibraryModel } from '../../state/models';

interface ModelNameProps {
  model: LibraryModel;
}

const validateName = (name: string): string | null => (name.trim() ? null : 'A model needs a name.');

/** The model's name, renamed in place: click it (or Rename), Enter saves, Escape cancels. */
export function ModelName({ model }: ModelNameProps) {
  const replace = useModels((s) => s.replace);
  const rename = async (name: string): Promise<void> => {
    try {
      replace(await api.models.update.mutate({ id: model.id, name: name.trim() }));
    } catch (e) {
      throw new Error(errorMessage(e));
    }
  };

  return (
    <div className="detail-title">
      <InlineEdit
        value={model.name}
        onSave={rename}
        label="Model name"
        validate={validateName}
        maxLength={200}
        heading="h2"
        editLabel="Rename"
        className="title-row"
        testId="model-name"
        editTestId="model-rename"
      />
      <span className="mono muted selectable">{model.id}</span>
    </div>
  );
}
