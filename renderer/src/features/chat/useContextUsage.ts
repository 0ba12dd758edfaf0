import { useEffect, useState } from 'react';
import { api, errorMessage } from '../../api/client';

const DEBOUNCE_MS = 300;

export interface ContextUsage {
  /** Tokens in the text, once counted; null before the first count or while the model is not loaded. */
  tokens: number | null;
  /** True while a count for the current text is pending (debounce or request). */
  counting: boolean;
  error: string | null;
}

/**
 * Counts the tokens of `text` with the model's own tokenizer (inference.countTokens), 300 ms after it last changed.
 * Only counts while the model is ready: counting would otherwise load it.
 */
export function useContextUsage(modelId: string, ready: boolean, text: string): ContextUsage {
  const [result, setResult] = useState<{ key: string; tokens: number | null; error: string | null }>({ key: '', tokens: null, error: null });
  const key = `${modelId}\u0000${text}`;

  useEffect(() => {
    if (!ready) return;
    let cancelled = false;
    const timer = window.setTimeout(() => {
      api.inference.countTokens.query({ modelId, text }).then(
        (tokens) => {
          if (!cancelled) setResult({ key, tokens, error: null });
        },
        (error: unknown) => {
          if (!cancelled) setResult((r) => ({ key, tokens: r.tokens, error: errorMessage(error) }));
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [key, modelId, text, ready]);

  if (!ready) return { tokens: result.tokens, counting: false, error: null };
  return { tokens: result.tokens, counting: result.key !== key, error: result.key === key ? result.error : null };
}
