/**
 * A monotonic clock and one-shot timers, for the waits a test must end when it chooses (a note's quiet
 * time): the real ones by default. Time stamps on notes come from the `Clock` instead.
 */
export interface Timers {
  /** Milliseconds on a monotonic clock, as `performance.now()`. */
  now(): number;
  /** Calls `fn` once `ms` have passed; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
