import { useLayoutEffect, useRef } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useJobs } from '../../state/jobs';

/** Within this many pixels of the bottom counts as "at the bottom", so new lines keep it scrolled. */
const STICK_SLACK_PX = 24;

interface JobLogProps {
  jobId: string;
}

/** The job's log: the fetched tail, then live lines; follows the end unless scrolled up. */
export function JobLog({ jobId }: JobLogProps) {
  const log = useJobs((s) => (s.log?.jobId === jobId ? s.log : null));
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const lines = log?.lines;

  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const onScroll = (): void => {
    const el = box.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_SLACK_PX;
  };

  const loading = !log || (log.pending !== null && log.lines.length === 0);
  return (
    <>
      {log?.error && <ErrorNote message={`Could not load the log: ${log.error}`} />}
      <pre ref={box} className="code-block log" data-testid="job-log" aria-label="Job log" aria-busy={loading} tabIndex={0} onScroll={onScroll}>
        {lines && lines.length > 0 ? lines.join('\n') : <span className="muted">{loading ? 'Loading log…' : 'No output yet.'}</span>}
      </pre>
    </>
  );
}
