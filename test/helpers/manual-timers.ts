import type { Timers } from '../../src/util/timers.ts';

export interface ManualTimers extends Timers {
  /** Moves time on by `ms` and calls every timer then due, in the order they fall due. */
  advance(ms: number): void;
  /** Timers set and not yet called or cancelled. */
  readonly pending: number;
}

/**
 * Time that moves only when the test says so: a daemon given these as its `timers` takes a message
 * written in place when the test advances past its quiet time, never because a busy machine was slow.
 */
export function manualTimers(): ManualTimers {
  let now = 0;
  let next = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    after(ms, fn) {
      const id = next++;
      due.set(id, { at: now + Math.max(0, ms), fn });
      return () => void due.delete(id);
    },
    advance(ms) {
      now += ms;
      for (;;) {
        const [id, timer] = [...due].filter(([, t]) => t.at <= now).sort(([a, x], [b, y]) => x.at - y.at || a - b)[0] ?? [];
        if (id === undefined || !timer) return;
        due.delete(id);
        timer.fn();
      }
    },
    get pending() {
      return due.size;
    },
  };
}
