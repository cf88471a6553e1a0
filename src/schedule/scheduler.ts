import type { AgentDefinition } from '../agents/definition.ts';
import { DEFAULTS } from '../agents/definition.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { nextFire } from './cron.ts';

/** What is remembered of one schedule entry across restarts (`.scriptorium/schedule.json`). */
export interface EntryState {
  /** When the schedule was first seen: the start of "missed" for a schedule that never fired. */
  seenAt?: string;
  lastFire?: string;
  /** The note the last fire wrote: a fire is skipped while it is still waiting or running. */
  lastNote?: string;
  lastSkip?: { at: string; reason: string };
}

export type ScheduleState = Record<string, EntryState>;

export interface ScheduleStateStore {
  load(): Promise<ScheduleState>;
  save(state: ScheduleState): Promise<void>;
}

export interface Fire {
  agent: string;
  cron: string;
  task: string;
  scheduledFor: Date;
  /** The note written by this entry's previous fire, if any. */
  previousNote: string | undefined;
  reason: 'schedule' | 'catch-up';
}

export type FireOutcome = { fired: string } | { skipped: string };

export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  state: ScheduleStateStore;
  fire: (fire: Fire) => Promise<FireOutcome>;
  isHalted: () => boolean;
  /** Told whenever an agent's next run changes (for `next_run` on its note and for status). */
  onNextRun?: (agent: string, next: Date | null) => void;
}

interface Entry {
  key: string;
  agent: string;
  cron: string;
  tz: string | undefined;
  task: string;
  catchUp: boolean;
  next: Date | null;
}

/**
 * Cron fires become inbound notes. One timer, set for the earliest next fire of all entries. After
 * downtime (or a halt), a missed fire runs once, not once per missed slot, when `catch_up` is true,
 * and never when false. A fire whose previous run is still waiting or running is skipped, and the skip
 * is recorded.
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  #entries = new Map<string, Entry>();
  #state: ScheduleState = {};
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #closed = false;
  #started = false;
  /** The first sync after start keeps what the state file remembers (downtime catch-up). */
  #loaded = false;
  #disabled = new Set<string>();

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  async start(definitions: AgentDefinition[]): Promise<void> {
    this.#state = await this.#options.state.load();
    this.#started = true;
    await this.sync(definitions);
  }

  /** Take the current definitions (after any edit): new, changed and removed schedules apply at once. */
  sync(definitions: AgentDefinition[]): Promise<void> {
    return this.#serial(async () => {
      if (!this.#started || this.#closed) return;
      const now = this.#options.clock.now();
      const next = new Map<string, Entry>();
      const disabledBefore = this.#disabled;
      this.#disabled = new Set(definitions.filter((d) => !d.enabled).map((d) => d.name));
      for (const d of definitions) {
        if (!d.enabled) continue;
        d.schedules.forEach((s, i) => {
          const task = s.task ?? d.task ?? DEFAULTS.task;
          // Two entries with the same cron (and their own tasks) are two schedules: number the repeats.
          const repeat = d.schedules.slice(0, i).filter((o) => o.cron === s.cron).length;
          const key = `${d.name}|${s.cron}${repeat > 0 ? `|${repeat + 1}` : ''}`;
          // A schedule added (or put back) while running starts from now, so it does not "catch up" on
          // slots from before it existed. Re-enabling an agent is like lifting a halt: it catches up.
          if (this.#loaded && !this.#entries.has(key) && !disabledBefore.has(d.name)) {
            this.#state[key] = { ...this.#state[key], seenAt: now.toISOString() };
            delete this.#state[key].lastFire;
          }
          next.set(key, {
            key,
            agent: d.name,
            cron: s.cron,
            tz: d.tz,
            task,
            catchUp: d.catchUp,
            next: null,
          });
          // A schedule seen for the first time starts from now: nothing before it counts as missed.
          this.#state[key] ??= { seenAt: now.toISOString() };
        });
      }
      const agentsBefore = new Set([...this.#entries.values()].map((e) => e.agent));
      this.#entries = next;
      this.#loaded = true;
      await this.#catchUp(now);
      this.#reportNextRuns(agentsBefore);
      this.#arm();
    });
  }

  /** After a halt is lifted: what was missed meanwhile is handled as after downtime. */
  resumed(): Promise<void> {
    return this.#serial(async () => {
      // Before start() the state is not loaded yet (saving it would wipe schedule.json); start() catches up.
      if (!this.#started || this.#closed) return;
      await this.#catchUp(this.#options.clock.now());
      this.#reportNextRuns(new Set());
      this.#arm();
    });
  }

  /** Each scheduled agent's earliest next fire. */
  nextRuns(): Map<string, Date | null> {
    const result = new Map<string, Date | null>();
    for (const e of this.#entries.values()) {
      const current = result.get(e.agent);
      if (e.next && (!current || e.next < current)) result.set(e.agent, e.next);
      else if (!result.has(e.agent)) result.set(e.agent, e.next);
    }
    return result;
  }

  lastRuns(): Map<string, string> {
    const result = new Map<string, string>();
    for (const e of this.#entries.values()) {
      const last = this.#state[e.key]?.lastFire;
      if (last && (!result.has(e.agent) || last > result.get(e.agent)!)) result.set(e.agent, last);
    }
    return result;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #catchUp(now: Date): Promise<void> {
    for (const entry of this.#entries.values()) {
      const last = latest(this.#state[entry.key]?.lastFire, this.#state[entry.key]?.seenAt);
      const missed = last ? safeNext(entry, new Date(last)) : null;
      if (missed && missed <= now && !this.#options.isHalted()) {
        if (entry.catchUp) {
          await this.#fire(entry, missed, 'catch-up');
        } else {
          // Nothing ran: the slot is marked as seen, not as a last run.
          this.#record(entry, { seenAt: now.toISOString(), lastSkip: { at: now.toISOString(), reason: 'missed while Scriptorium was stopped or halted (catch_up: false)' } });
          this.#options.logger.info('missed fire not caught up', { agent: entry.agent, cron: entry.cron, missed: missed.toISOString() });
        }
      }
      entry.next = safeNext(entry, now);
    }
    await this.#options.state.save(this.#state);
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    const times = [...this.#entries.values()].map((e) => e.next?.getTime()).filter((t): t is number => t !== undefined);
    if (times.length === 0) return;
    const delay = Math.max(0, Math.min(...times) - this.#options.clock.now().getTime());
    // Timers run on a monotonic clock that stops while the machine sleeps: wake at least every minute
    // and compare with the wall clock, so a laptop that slept through 9:00 fires on waking.
    this.#timer = setTimeout(() => void this.#serial(() => this.#tick()), Math.min(delay, MAX_TIMER_MS));
    this.#timer.unref?.();
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const now = this.#options.clock.now();
    const due = [...this.#entries.values()].filter((e) => e.next && e.next <= now);
    for (const entry of due) {
      // Halted: the slot is missed; lifting the halt catches it up (once) when catch_up allows.
      if (!this.#options.isHalted()) await this.#fire(entry, entry.next!, 'schedule');
      entry.next = safeNext(entry, now);
    }
    if (due.length > 0) {
      await this.#options.state.save(this.#state);
      this.#reportNextRuns(new Set());
    }
    this.#arm();
  }

  async #fire(entry: Entry, scheduledFor: Date, reason: Fire['reason']): Promise<void> {
    const now = this.#options.clock.now();
    try {
      const outcome = await this.#options.fire({
        agent: entry.agent,
        cron: entry.cron,
        task: entry.task,
        scheduledFor,
        previousNote: this.#state[entry.key]?.lastNote,
        reason,
      });
      if ('fired' in outcome) {
        this.#record(entry, { lastFire: now.toISOString(), lastNote: outcome.fired });
      } else {
        this.#record(entry, { lastFire: now.toISOString(), lastSkip: { at: now.toISOString(), reason: outcome.skipped } });
        this.#options.logger.info('scheduled fire skipped', { agent: entry.agent, cron: entry.cron, reason: outcome.skipped });
      }
    } catch (error) {
      this.#options.logger.error('scheduled fire failed', { agent: entry.agent, cron: entry.cron, error: errorMessage(error) });
    }
  }

  #record(entry: Entry, update: EntryState): void {
    this.#state[entry.key] = { ...this.#state[entry.key], ...update };
  }

  #reportNextRuns(agentsBefore: Set<string>): void {
    const runs = this.nextRuns();
    for (const [agent, next] of runs) this.#options.onNextRun?.(agent, next);
    for (const agent of agentsBefore) if (!runs.has(agent)) this.#options.onNextRun?.(agent, null);
  }

  /** One change at a time: a tick and an edit arriving together must not both fire an entry. */
  #serial(work: () => Promise<void>): Promise<void> {
    this.#running = this.#running.then(work).catch((error) => {
      this.#options.logger.error('scheduler error', { error: errorMessage(error) });
    });
    return this.#running;
  }
}

const MAX_TIMER_MS = 60_000;

/** The later of two ISO times (either may be missing). */
function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return new Date(a) > new Date(b) ? a : b;
}

function safeNext(entry: Entry, after: Date): Date | null {
  try {
    return nextFire(entry.cron, entry.tz, after);
  } catch {
    return null;
  }
}
