import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';

/** setTimeout holds at most ~24.8 days; a deadline further out is checked again then. */
const MAX_TIMER_MS = 2_000_000_000;

/**
 * Fan-in groups' timing: checks of one group run one at a time (two members finishing together must not
 * both fire it), and each group's deadline has one timer that checks it when it passes.
 */
export class GroupChecks {
  readonly #check: (replyTo: string, group: string) => Promise<void>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #deadlines = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(check: (replyTo: string, group: string) => Promise<void>, clock: Clock, logger: Logger) {
    this.#check = check;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Look at the group now (a member finished, or its deadline passed). Never rejects. */
  check(replyTo: string, group: string): Promise<void> {
    const key = `${replyTo}/${group}`;
    const next = (this.#chains.get(key) ?? Promise.resolve()).then(() => this.#check(replyTo, group)).catch((error) => {
      this.#logger.error('fan-in check failed', { group: key, error: errorMessage(error) });
    });
    this.#chains.set(key, next);
    return next;
  }

  /** When the deadline passes, the group reports what it has (once per group, however many members say so). */
  deadline(replyTo: string, group: string, at: Date): void {
    const key = `${replyTo}/${group}`;
    // After close (a note still being taken in at shutdown): no timer outlives the daemon.
    if (this.#closed || this.#deadlines.has(key)) return;
    const delay = Math.max(0, at.getTime() - this.#clock.now().getTime());
    const timer = setTimeout(() => {
      this.#deadlines.delete(key);
      void this.check(replyTo, group);
    }, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
    this.#deadlines.set(key, timer);
  }

  /** The group has reported: its deadline no longer matters. */
  reported(replyTo: string, group: string): void {
    const key = `${replyTo}/${group}`;
    clearTimeout(this.#deadlines.get(key));
    this.#deadlines.delete(key);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#deadlines.values()) clearTimeout(timer);
    this.#deadlines.clear();
  }
}
