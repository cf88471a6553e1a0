import type { AgentRegistry } from '../agents/registry.ts';
import type { DashboardAgent, DashboardSnapshot } from '../dashboard/render.ts';
import type { NoteIndex } from '../intake/note-index.ts';
import type { Lanes } from '../queue/lanes.ts';
import { budgetHold, type Ledger } from '../state/ledger.ts';
import { agentStatusText, statusText, type AgentStatus, type DaemonStatus, type NeedsYou } from '../state/status-file.ts';
import type { TurnLogEntry } from '../state/turns-log.ts';
import { vaultSpending, type VaultBudget, type VaultSpending } from '../state/vault-budget.ts';
import { isoLocal, type Clock } from '../util/clock.ts';

/** Turns kept in memory for the dashboard and the API's /status. */
export const RECENT_TURNS = 20;

export interface StatusSources {
  root: string;
  concurrency: number;
  registry: AgentRegistry;
  lanes: Pick<Lanes<unknown>, 'waiting' | 'isRunning'>;
  ledger: Ledger;
  /** The operator's caps on the whole vault's spending. */
  budget: VaultBudget;
  index: NoteIndex;
  clock: Clock;
  /** Agents whose messages wait on a budget or rate limit, with the reason. */
  holds: ReadonlyMap<string, string>;
  schedule: { nextRuns(): Map<string, Date | null>; lastRuns(): Map<string, string> };
  halt: { halted: boolean; reason: string | undefined };
  /** When the daemon started (empty until it has). */
  startedAt: () => string;
  /** What waits for a person: approvals (and questions). */
  needsYou: () => NeedsYou[];
}

/** An agent's `status.json` entry and its text, kept until an event changes the agent. */
interface CachedEntry {
  status: AgentStatus;
  text: string;
}

/** An agent's dashboard row, kept until an event changes the agent or the time it holds for is over. */
interface CachedRow {
  row: DashboardAgent;
  /** Epoch ms: a row showing a rate limit holds until the limit frees. */
  until: number;
}

/**
 * What the daemon is doing, for the people watching: `status.json` (and so `scriptorium status`), the
 * HTTP API's /health and /status, and `Dashboard.md`. Read-only views of the stages' state.
 *
 * Each agent's entry and dashboard row is made once and kept until one of the events that change it says
 * so (its lane, its definition, its hold, its schedule, its turns: `agentChanged`), so a write with a
 * thousand agents defined redoes the few that changed, not all of them. What changes with the clock alone
 * (a new day, a rate limit freeing) is looked at by time.
 */
export class StatusView {
  readonly #s: StatusSources;
  /** The last turns, newest last. */
  #recentTurns: TurnLogEntry[] = [];
  readonly #entries = new Map<string, CachedEntry>();
  readonly #rows = new Map<string, CachedRow>();
  /** The day and halt the kept rows were made for: costs "today" and the halted state are in every row. */
  #rowsFor = '';
  /** Each scheduled agent's next and last run, made again only after the schedule said it changed. */
  #schedule: { next: Map<string, Date | null>; last: Map<string, string> } | undefined;
  /** How many entries and rows were made (not taken as kept): what tests look at. */
  readonly made = { entries: 0, rows: 0 };

  constructor(sources: StatusSources) {
    this.#s = sources;
  }

  /** Something the agent's entry or row shows may have changed: it is made again at the next look. */
  agentChanged(name: string): void {
    this.#entries.delete(name);
    this.#rows.delete(name);
  }

  /** Every agent may have changed (the lanes closed, paused or resumed). */
  everyAgentChanged(): void {
    this.#entries.clear();
    this.#rows.clear();
  }

  /** The scheduler reported the agent's next run (it does after every fire and every change of schedules). */
  scheduleChanged(name: string): void {
    this.#schedule = undefined;
    this.agentChanged(name);
  }

  /** Turns as they finish (or as read from turns.jsonl at start). */
  addTurns(...entries: TurnLogEntry[]): void {
    const all = [...this.#recentTurns, ...entries];
    this.#recentTurns = all.slice(-RECENT_TURNS);
    // A row's last run and costs come from its turns; one that leaves the last few shows the agent's
    // older last run again.
    for (const turn of entries) this.#rows.delete(turn.agent);
    for (const turn of all.slice(0, -RECENT_TURNS)) this.#rows.delete(turn.agent);
  }

  /** Agent states for `scriptorium status`: idle / working / queued:N. */
  agentStatuses(): AgentStatus[] {
    return this.#agentEntries().map((e) => e.status);
  }

  #agentEntries(): CachedEntry[] {
    return this.#s.registry.names().map((name) => {
      let entry = this.#entries.get(name);
      if (!entry) {
        const status = this.#agentStatus(name);
        entry = { status, text: agentStatusText(status) };
        this.#entries.set(name, entry);
      }
      return entry;
    });
  }

  #agentStatus(name: string): AgentStatus {
    const { registry, lanes, holds, schedule } = this.#s;
    this.made.entries++;
    this.#schedule ??= { next: schedule.nextRuns(), last: schedule.lastRuns() };
    const { next: nextRuns, last: lastRuns } = this.#schedule;
    const lookup = registry.lookup(name);
    const queued = lanes.waiting(name);
    return {
      name,
      path: lookup.kind === 'ok' ? lookup.definition.path : lookup.kind === 'invalid' ? lookup.path : '',
      state: lookup.kind === 'invalid' ? 'error' : lanes.isRunning(name) ? 'working' : queued > 0 ? 'queued' : 'idle',
      queued,
      error: lookup.kind === 'invalid' ? lookup.problems.map((p) => `${p.field}: ${p.message}`).join('; ') : undefined,
      description: lookup.kind === 'ok' ? lookup.definition.description : undefined,
      mode: lookup.kind === 'ok' ? lookup.definition.mode : undefined,
      enabled: lookup.kind === 'ok' ? lookup.definition.enabled : undefined,
      hold: holds.get(name),
      nextRun: nextRuns.get(name) ? isoLocal(nextRuns.get(name)!) : undefined,
      lastRun: lastRuns.has(name) ? isoLocal(new Date(lastRuns.get(name)!)) : undefined,
    };
  }

  #head(): Omit<DaemonStatus, 'agents'> {
    const { root, concurrency, halt, clock } = this.#s;
    return {
      pid: process.pid,
      vault: root,
      startedAt: this.#s.startedAt(),
      updatedAt: isoLocal(clock.now()),
      halted: halt.halted,
      haltReason: halt.reason,
      concurrency,
      spending: this.spending(),
      needsYou: this.#s.needsYou(),
    };
  }

  /** `.scriptorium/status.json`. */
  statusFile(): DaemonStatus {
    return { ...this.#head(), agents: this.agentStatuses() };
  }

  /** `.scriptorium/status.json`'s text: `statusFile()` as written, from the kept entries' texts. */
  statusText(): string {
    return statusText(
      this.#head(),
      this.#agentEntries().map((e) => e.text),
    );
  }

  /** Today's and this month's spending, the caps, and whether one of them has stopped turns. */
  spending(): VaultSpending {
    return vaultSpending(this.#s.ledger, this.#s.budget, this.#s.clock.now());
  }

  health(): Record<string, unknown> {
    return { ok: true, pid: process.pid, vault: this.#s.root, startedAt: this.#s.startedAt(), halted: this.#s.halt.halted };
  }

  /** The API's `/status`: what `status.json` holds, plus the last turns. */
  apiStatus(): Record<string, unknown> {
    const { root, concurrency, halt } = this.#s;
    return {
      pid: process.pid,
      vault: root,
      startedAt: this.#s.startedAt(),
      halted: halt.halted,
      haltReason: halt.reason,
      concurrency,
      spending: this.spending(),
      needsYou: this.#s.needsYou(),
      agents: this.agentStatuses(),
      recentTurns: [...this.#recentTurns].reverse(),
    };
  }

  /** What `Dashboard.md` shows, from the daemon's state now. */
  dashboard(): DashboardSnapshot {
    const { ledger, registry, index, clock, halt } = this.#s;
    const now = clock.now();
    const rowsFor = `${now.getFullYear()}-${now.getMonth()}-${now.getDate()} ${halt.halted}`;
    if (rowsFor !== this.#rowsFor) {
      this.#rows.clear();
      this.#rowsFor = rowsFor;
    }
    const agents: DashboardAgent[] = this.agentStatuses().map((a) => {
      const kept = this.#rows.get(a.name);
      if (kept && kept.until > now.getTime()) return kept.row;
      this.made.rows++;
      // Over a budget shows as soon as it is spent, not only once a message waits on it.
      const lookup = registry.lookup(a.name);
      const over = lookup.kind === 'ok' ? budgetHold(ledger, lookup.definition, now) : null;
      const hold = a.hold ?? over?.reason;
      const state: DashboardAgent['state'] =
        a.state === 'error' ? 'error' : halt.halted ? 'halted' : a.enabled === false ? 'disabled' : hold ? 'over budget' : a.state;
      const row: DashboardAgent = {
        name: a.name,
        path: a.path,
        state,
        queued: a.queued,
        detail: a.error ?? hold,
        lastRun: this.#recentTurns.findLast((t) => t.agent === a.name)?.at ?? a.lastRun,
        nextRun: a.nextRun,
        costToday: ledger.spentToday(a.name, now),
        costMonth: ledger.spentThisMonth(a.name, now),
      };
      // Spending only grows with the agent's turns (each one an event); a limit frees with time alone.
      this.#rows.set(a.name, { row, until: over ? over.until.getTime() : Number.POSITIVE_INFINITY });
      return row;
    });
    const inError = [...index.errors()]
      .filter(([p]) => index.get(p)?.role === 'inbound' || registry.has(p))
      .map(([p, reason]) => ({ path: p, reason }))
      .sort((a, b) => a.path.localeCompare(b.path));
    const spending = vaultSpending(ledger, this.#s.budget, now);
    return {
      halted: halt.halted,
      haltReason: halt.reason,
      spendingStopped: spending.stopped,
      needsYou: this.#s.needsYou(),
      agents,
      turns: [...this.#recentTurns].reverse(),
      errors: inError,
      totals: {
        // The very figures the vault's caps are held to.
        costToday: spending.todayUsd,
        costMonth: spending.monthUsd,
        turnsToday: ledger.turnsToday(now),
      },
    };
  }
}
