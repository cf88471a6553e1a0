export interface LanesOptions<T> {
  /** Turns running at once, across all agents. */
  concurrency: number;
  /**
   * A job was added, started or finished (with its agent: a view that keeps each agent's row until told
   * redoes only that one); the lanes were paused, resumed or closed (with none: every lane may have changed).
   */
  onChange?: (agent?: string) => void;
  /** Run one job; its failures are its own (a rejection is ignored, and the lane goes on). */
  run: (job: T) => Promise<void>;
  /** The job is out of its lane: it ran (its slot is free again), or it was dropped by `close()`. */
  ended?: (job: T) => void;
}

/**
 * One FIFO lane per agent and a global cap on turns running at once. An agent's turns never overlap:
 * two `claude -p --resume` of one session at once both "succeed" and silently fork the session, so the
 * next turn sees only one branch. The cap bounds how many claude processes run across all agents.
 *
 * A waiting job is only its record (`T`, plain data) in its agent's array: no promise, closure or timer
 * per job, so a backlog of thousands costs little. The global slots go to the lanes' first jobs in the
 * order they came first in their lane (FIFO).
 */
export class Lanes<T> {
  readonly #options: LanesOptions<T>;
  /** Each agent's jobs not started yet, oldest first. */
  readonly #lanes = new Map<string, T[]>();
  /** Agents whose first waiting job waits for a global slot, in the order they began to wait. */
  #ready: string[] = [];
  readonly #running = new Set<string>();
  #waiting = 0;
  #paused = false;
  #closed = false;
  #idle: Array<() => void> = [];

  constructor(options: LanesOptions<T>) {
    this.#options = options;
  }

  /** Queue a job on the agent's lane (nothing, once closed). */
  add(agent: string, job: T): void {
    if (this.#closed) return;
    let lane = this.#lanes.get(agent);
    if (!lane) {
      lane = [];
      this.#lanes.set(agent, lane);
    }
    lane.push(job);
    this.#waiting++;
    if (lane.length === 1 && !this.#running.has(agent)) this.#ready.push(agent);
    this.#pump();
    this.#changed(agent);
  }

  /** Whether a job added for this agent now would start at once (its lane empty, room under the cap, not halted). */
  free(agent: string): boolean {
    const laneEmpty = !this.#lanes.get(agent)?.length && !this.#running.has(agent);
    return !this.#closed && !this.#paused && laneEmpty && this.#ready.length === 0 && this.#running.size < this.#options.concurrency;
  }

  isRunning(agent: string): boolean {
    return this.#running.has(agent);
  }

  /** Messages of this agent waiting for their turn (not the running one). */
  waiting(agent: string): number {
    return this.#lanes.get(agent)?.length ?? 0;
  }

  get runningCount(): number {
    return this.#running.size;
  }

  /** Halt: running turns go on, nothing new starts until `resume()`. */
  pause(): void {
    this.#paused = true;
    this.#changed();
  }

  resume(): void {
    this.#paused = false;
    this.#pump();
    this.#changed();
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Stop starting new turns; waiting jobs are dropped (their notes stay `queued` and run at next start). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const dropped = [...this.#lanes.values()].flat();
    this.#lanes.clear();
    this.#ready = [];
    this.#waiting = 0;
    this.#changed();
    for (const job of dropped) this.#ended(job);
    this.#checkIdle();
  }

  /** Resolves when no turn is running and no job waits (a halt keeps them waiting: it waits for the resume). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (!this.#closed && !this.#paused && this.#running.size < this.#options.concurrency && this.#ready.length > 0) {
      const agent = this.#ready.shift()!;
      const lane = this.#lanes.get(agent)!;
      const job = lane.shift()!;
      if (lane.length === 0) this.#lanes.delete(agent);
      this.#waiting--;
      this.#running.add(agent);
      this.#changed(agent);
      void this.#start(agent, job);
    }
  }

  async #start(agent: string, job: T): Promise<void> {
    try {
      // Never inside add(): whoever adds a job finishes what it was doing before the job begins.
      await Promise.resolve();
      await this.#options.run(job);
    } catch {
      // Jobs handle their own failures (job-queue.ts); the lane goes on.
    }
    this.#running.delete(agent);
    this.#changed(agent);
    // The slot goes to the lanes that waited for it first; this lane's next job waits behind them.
    if (this.#lanes.get(agent)?.length) this.#ready.push(agent);
    this.#pump();
    this.#ended(job);
    this.#checkIdle();
  }

  #ended(job: T): void {
    try {
      this.#options.ended?.(job);
    } catch {
      // As with run: the job's own affair.
    }
  }

  #changed(agent?: string): void {
    this.#options.onChange?.(agent);
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#waiting === 0;
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }
}
