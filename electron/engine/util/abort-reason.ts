/** What an aborted operation rejects with: the signal's own reason, or an AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('This operation was aborted', 'AbortError');
}
