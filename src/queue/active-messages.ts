/**
 * Messages this process has queued or is running, by path: a message is never queued twice, and a
 * running one can be stopped (the user set it to `cancelled`).
 */
export class ActiveMessages {
  readonly #state = new Map<string, 'queued' | 'running'>();
  readonly #cancels = new Map<string, AbortController>();

  queued(path: string): void {
    this.#state.set(path, 'queued');
  }

  /** Its turn begins: from here a `cancelled` saved by the user stops it, however early it comes. */
  running(path: string): AbortSignal {
    this.#state.set(path, 'running');
    const cancel = new AbortController();
    this.#cancels.set(path, cancel);
    return cancel.signal;
  }

  /** The turn is over: it can no longer be cancelled. */
  stopped(path: string): void {
    this.#cancels.delete(path);
  }

  /** Out of the lane. */
  done(path: string): void {
    this.#cancels.delete(path);
    this.#state.delete(path);
  }

  has(path: string): boolean {
    return this.#state.has(path);
  }

  isRunning(path: string): boolean {
    return this.#state.get(path) === 'running';
  }

  /** Stop a running message's turn; false when it is not running (or already stopping). */
  cancel(path: string): boolean {
    const cancel = this.#cancels.get(path);
    if (!cancel || cancel.signal.aborted) return false;
    cancel.abort();
    return true;
  }

  /** The cancel signal of a running message, if it runs. */
  cancelSignal(path: string): AbortSignal | undefined {
    return this.#cancels.get(path)?.signal;
  }

  /** Running messages, in the order they were taken in. */
  *runningPaths(): Iterable<string> {
    for (const [path, state] of this.#state) if (state === 'running') yield path;
  }

  get size(): number {
    return this.#state.size;
  }
}
