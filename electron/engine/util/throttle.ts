/** Calls through at most every `ms`; calls in between are dropped (for progress reports, where only the latest matters). */
export function throttle<A extends unknown[]>(fn: (...args: A) => void, ms = 250): (...args: A) => void {
  let last = 0;
  return (...args: A) => {
    const t = Date.now();
    if (t - last >= ms) {
      last = t;
      fn(...args);
    }
  };
}
