import type { AgentRegistry } from '../agents/registry.ts';
import type { DashboardAgent, DashboardSnapshot } from '../dashboard/render.ts';
import type { NoteIndex } from '../intake/note-index.ts';
import type { Lanes } from '../queue/lanes.ts';
import { budgetHold, type Ledger } from '../state/ledger.ts';
import type { AgentStatus, DaemonStatus, NeedsYou } from '../state/status-file.ts';
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

/**
 * What the daemon is doing, for the people watching: `status.json` (and so `scriptorium status`), the
 * HTTP API's /health and /status, and `Dashboard.md`. Read-only views of the stages' state.
 */
export class StatusView {
  readonly #s: StatusSources;
  /** The last turns, newest last. */
  #recentTurns: TurnLogEntry[] = [];

  constructor(sources: StatusSources) {
    this.#s = sources;
  }

  /** Turns as they finish (or as read from turns.jsonl at start). */
  addTurns(...entries: TurnLogEntry[]): void {
    this.#recentTurns = [...this.#recentTurns, ...entries].slice(-RECENT_TURNS);
  }

  /** Agent states for `scriptorium status`: idle / working / queued:N. */
  agentStatuses(): AgentStatus[] {
    const { registry, lanes, holds, schedule } = this.#s;
    const nextRuns = schedule.nextRuns();
    const lastRuns = schedule.lastRuns();
    return registry.names().map((name) => {
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
    });
  }

  /** `.scriptorium/status.json`. */
  statusFile(): DaemonStatus {
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
      agents: this.agentStatuses(),
    };
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
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    const agents: DashboardAgent[] = this.agentStatuses().map((a) => {
      // Over a budget shows as soon as it is spent, not only once a message waits on it.
      const lookup = registry.lookup(a.name);
      const hold = a.hold ?? (lookup.kind === 'ok' ? budgetHold(ledger, lookup.definition, now)?.reason : undefined);
      const state: DashboardAgent['state'] =
        a.state === 'error' ? 'error' : halt.halted ? 'halted' : a.enabled === false ? 'disabled' : hold ? 'over budget' : a.state;
      return {
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
        turnsToday: ledger.turnsSince(midnight),
      },
    };
  }
}
