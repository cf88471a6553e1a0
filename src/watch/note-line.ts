/** Notes taken in at once from the watcher's events, at most. */
export const NOTES_AT_ONCE = 8;

/**
 * The watcher's notes wait here to be taken in, a few at a time, in the order they came. A sync tool
 * dropping thousands of notes at once would otherwise have them all read, parsed and written at once:
 * every callback of every note in the same turns of the event loop, which then stalls for seconds. Each
 * note also begins in a turn of its own (`setImmediate`), so a note that needs no I/O (its text already
 * read) cannot chain into the next one without letting timers and I/O in between.
 */
export class NoteLine {
  readonly #limit: number;
  #waiting: Array<() => Promise<unknown>> = [];
  #running = 0;
  /** Started, but not yet past their first turn of the event loop. */
  #starting = 0;

  constructor(limit = NOTES_AT_ONCE) {
    this.#limit = limit;
  }

  add(take: () => Promise<unknown>): void {
    this.#waiting.push(take);
    this.#pump();
  }

  /** Notes not yet handed on: waiting their turn, or about to begin. */
  get pending(): number {
    return this.#waiting.length + this.#starting;
  }

  /** At shutdown: the notes still waiting are not taken in (the next start reads them). */
  clear(): void {
    this.#waiting = [];
  }

  #pump(): void {
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      const take = this.#waiting.shift()!;
      this.#running++;
      this.#starting++;
      void this.#run(take);
    }
  }

  async #run(take: () => Promise<unknown>): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#starting--;
    try {
      await take();
    } catch {
      // Each note's handling reports its own failures (note-events.ts).
    } finally {
      this.#running--;
      this.#pump();
    }
  }
}
