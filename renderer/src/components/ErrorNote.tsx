interface ErrorNoteProps {
  message: string;
  testId?: string;
}

/** A short error shown inline, announced to screen readers. */
export function ErrorNote({ message, testId }: ErrorNoteProps) {
  return (
    <p className="error-note" role="alert" data-testid={testId}>
      {message}
    </p>
  );
}
