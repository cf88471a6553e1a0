/**
 * A turn's wall-clock limit that can stand still: while a person decides an approval, the turn's time is
 * theirs, not the agent's. Pauses nest (parallel tool calls may each wait); the limit runs again, with the
 * time it had left, when the last one is decided.
 */
export class TurnTimeout {
  readonly #limitMs: number;
  #leftMs: number;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #onExpire: (() => void) | undefined;
  #pauses = 0;
  #done = false;

  constructor(limitMs: number) {
    this.#limitMs = limitMs;
    this.#leftMs = limitMs;
  }

  get limitMs(): number {
    return this.#limitMs;
  }

  get paused(): boolean {
    return this.#pauses > 0;
  }

  /** The turn's process has started: `onExpire` runs once its time is used up. */
  start(onExpire: () => void): void {
    this.#onExpire = onExpire;
    if (this.#pauses === 0) this.#run();
  }

  pause(): void {
    this.#pauses++;
    if (this.#pauses > 1 || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#leftMs = Math.max(0, this.#leftMs - (performance.now() - this.#startedAt));
  }

  resume(): void {
    if (this.#pauses === 0) return;
    this.#pauses--;
    if (this.#pauses === 0 && this.#onExpire) this.#run();
  }

  /** The turn has ended. */
  clear(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    if (this.#done) return;
    this.#startedAt = performance.now();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#done = true;
      this.#onExpire?.();
    }, this.#leftMs);
  }
}
