import { useEffect, useState } from 'react';

interface CopyButtonProps {
  text: string;
  label: string;
  testId?: string;
}

/** Copies `text` to the clipboard and says whether it worked. */
export function CopyButton({ text, label, testId }: CopyButtonProps) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = window.setTimeout(() => setState('idle'), 1500);
    return () => window.clearTimeout(timer);
  }, [state]);

  const copy = (): void => {
    // Only secure contexts (the app window, localhost) have a clipboard.
    if (!('clipboard' in navigator)) {
      setState('failed');
      return;
    }
    navigator.clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };

  return (
    <button type="button" className="button button-ghost button-small" onClick={copy} aria-label={label} title={label} data-testid={testId}>
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}</span>
    </button>
  );
}
