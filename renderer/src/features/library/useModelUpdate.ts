import { useCallback, useState } from 'react';
import { api, errorMessage } from '../../api/client';
import { useModels } from '../../state/models';

type Patch = { name?: string; tags?: string[]; notes?: string };

/** Saves a change to a model's name, tags or notes; the store gets the updated model. */
export function useModelUpdate(id: string): { save: (patch: Patch) => Promise<boolean>; saving: boolean; error: string | null } {
  const replace = useModels((s) => s.replace);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = useCallback(
    async (patch: Patch): Promise<boolean> => {
      setSaving(true);
      setError(null);
      try {
        replace(await api.models.update.mutate({ id, ...patch }));
        return true;
      } catch (e) {
        setError(errorMessage(e));
        return false;
      } finally {
        setSaving(false);
      }
    },
    [id, replace],
  );
  return { save, saving, error };
}
