import PQueue from 'p-queue';

/**
 * One FIFO lane per agent and a global cap on turns running at once. An agent's turns never overlap:
 * two `claude -p --resume` of one session at once both "succeed" and silently fork the session, so the
 * next turn sees only one branch. The cap bounds how many claude processes run across all agents.
 */
export class Lanes {
  readonly #global: PQueue;
  readonly #lanes = new Map<string, PQueue>();
  readonly #running = new Map<string, number>();
  #closed = false;
  /** Told of each change: with the agent whose lane changed, or with none when every lane may have. */
  private readonly onChange: (agent?: string) => void;

  constructor(concurrency: number, onChange: (agent?: string) => void = () => {}) {
    this.#global = new PQueue({ concurrency });
    this.onChange = onChange;
  }

  /** Queue a job on the agent's lane; resolves when it has run (or been dropped at shutdown). */
  add(agent: string, job: () => Promise<void>): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const lane = this.#lane(agent);
    const run = lane.add(() =>
      this.#closed
        ? undefined
        : this.#global.add(async () => {
            if (this.#closed) return;
            this.#running.set(agent, (this.#running.get(agent) ?? 0) + 1);
            this.onChange(agent);
            try {
              await job();
            } finally {
              this.#running.set(agent, (this.#running.get(agent) ?? 1) - 1);
              this.onChange(agent);
            }
          }),
    );
    this.onChange(agent);
    // Jobs handle their own failures; a rejection here is only p-queue's AbortError from clear().
    return run.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Whether a job added for this agent now would start at once (its lane empty, room under the cap, not halted). */
  free(agent: string): boolean {
    const lane = this.#lanes.get(agent);
    const laneEmpty = !lane || lane.size + lane.pending === 0;
    return !this.#closed && !this.#global.isPaused && laneEmpty && this.#global.size === 0 && this.#global.pending < this.#global.concurrency;
  }

  isRunning(agent: string): boolean {
    return (this.#running.get(agent) ?? 0) > 0;
  }

  /** Messages of this agent waiting for their turn (not the running one). */
  waiting(agent: string): number {
    const lane = this.#lanes.get(agent);
    if (!lane) return 0;
    return lane.size + lane.pending - (this.isRunning(agent) ? 1 : 0);
  }

  get runningCount(): number {
    return [...this.#running.values()].reduce((a, b) => a + b, 0);
  }

  /** Halt: running turns go on, nothing new starts until `resume()`. */
  pause(): void {
    this.#global.pause();
    this.onChange();
  }

  resume(): void {
    this.#global.start();
    this.onChange();
  }

  get paused(): boolean {
    return this.#global.isPaused;
  }

  /** Stop starting new turns; waiting jobs are dropped (their notes stay `queued` and run at next start). */
  close(): void {
    this.#closed = true;
    for (const lane of this.#lanes.values()) lane.clear();
    this.#global.clear();
    this.onChange();
  }

  /** Resolves when no turn is running. */
  async idle(): Promise<void> {
    await Promise.all([this.#global.onIdle(), ...[...this.#lanes.values()].map((lane) => lane.onIdle())]);
  }

  #lane(agent: string): PQueue {
    let lane = this.#lanes.get(agent);
    if (!lane) {
      lane = new PQueue({ concurrency: 1 });
      // A finished job leaves its lane a microtask after the turn's own change was told: told again then,
      // or a view that keeps its rows until told would show one message too many waiting.
      lane.addEventListener('next', () => this.onChange(agent));
      this.#lanes.set(agent, lane);
    }
    return lane;
  }
}
