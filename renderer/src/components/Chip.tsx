import type { ReactNode } from 'react';

interface ChipProps {
  /** Dimmed and struck through when false, e.g. a CPU feature this machine lacks. */
  present?: boolean;
  children: ReactNode;
  testId?: string;
  title?: string;
}

export function Chip({ present = true, children, testId, title }: ChipProps) {
  return (
    <span
      className={`chip ${present ? 'chip-present' : 'chip-absent'}`}
      data-testid={testId}
      data-present={present}
      title={title ?? (present ? undefined : 'Not available')}
    >
      {children}
    </span>
  );
}
