import type { TurnLogEntry } from './turns-log.ts';

const HOUR_MS = 3_600_000;

/** One agent's record: what its readers ask about, today, this month and the last hour, and nothing older. */
interface AgentLedger {
  /** Spent by local day, for the newest month recorded only (older days are never asked about). */
  byDay: Map<string, number>;
  /** Spent by local month (a dozen keys a year). */
  byMonth: Map<string, number>;
  /** Start times of the runs within an hour of the newest one, oldest first: what `max_runs_per_hour` needs. */
  runs: number[];
  newestMonth: string;
}

/**
 * What each agent has spent and how often it ran, from the recorded turns (`.scriptorium/turns.jsonl`
 * at start, then every finished turn): the base for `daily_budget_usd` and `max_runs_per_hour`, the
 * dashboard's cost columns, and the vault's caps of the operator config (state/vault-budget.ts).
 *
 * Its readers ask about today, this month and the last hour only, so it keeps sums by local day and by
 * local month and the last hour's runs, not the turns: its size and each answer's cost stay the same
 * however many turns a long-lived daemon records.
 */
export class Ledger {
  readonly #agents = new Map<string, AgentLedger>();
  /**
   * All agents' spending and turns by local day and by local month: the vault's caps are looked at before
   * every turn, so they are one lookup, not a sum over every turn on record.
   */
  readonly #byDay = new Map<string, number>();
  readonly #byMonth = new Map<string, number>();
  readonly #turnsByDay = new Map<string, number>();

  record(entry: Pick<TurnLogEntry, 'agent' | 'at' | 'costUsd'>): void {
    const at = new Date(entry.at).getTime();
    if (!Number.isFinite(at)) return;
    const cost = Number.isFinite(entry.costUsd) ? entry.costUsd : 0;
    const day = dayKey(new Date(at));
    const month = monthKey(day);
    add(this.#byDay, day, cost);
    add(this.#byMonth, month, cost);
    add(this.#turnsByDay, day, 1);

    let agent = this.#agents.get(entry.agent);
    if (!agent) {
      agent = { byDay: new Map(), byMonth: new Map(), runs: [], newestMonth: month };
      this.#agents.set(entry.agent, agent);
    }
    add(agent.byMonth, month, cost);
    if (month >= agent.newestMonth) {
      if (month > agent.newestMonth) agent.byDay.clear();
      agent.newestMonth = month;
      add(agent.byDay, day, cost);
    }
    // Kept in time order: turns are recorded as they end, but the turns read at start may not be.
    let i = agent.runs.length;
    while (i > 0 && agent.runs[i - 1]! > at) i--;
    agent.runs.splice(i, 0, at);
    const newest = agent.runs[agent.runs.length - 1]!;
    let stale = 0;
    while (stale < agent.runs.length && agent.runs[stale]! <= newest - HOUR_MS) stale++;
    if (stale > 0) agent.runs.splice(0, stale);
  }

  /** Spent by every agent on `now`'s local day. */
  vaultToday(now: Date): number {
    return this.#byDay.get(dayKey(now)) ?? 0;
  }

  /** Spent by every agent in `now`'s local month. */
  vaultThisMonth(now: Date): number {
    return this.#byMonth.get(monthKey(dayKey(now))) ?? 0;
  }

  /** Turns recorded on `now`'s local day, all agents (the dashboard's "turns today"). */
  turnsToday(now: Date): number {
    return this.#turnsByDay.get(dayKey(now)) ?? 0;
  }

  /** Spent on `now`'s local day. */
  spentToday(agent: string, now: Date): number {
    const day = dayKey(now);
    const record = this.#agents.get(agent);
    return record && record.newestMonth === monthKey(day) ? (record.byDay.get(day) ?? 0) : 0;
  }

  /** Spent in `now`'s local month (the dashboard's month column). */
  spentThisMonth(agent: string, now: Date): number {
    return this.#agents.get(agent)?.byMonth.get(monthKey(dayKey(now))) ?? 0;
  }

  /** How many run times it keeps for the agent (at most an hour's worth): what tests of its size look at. */
  runsKept(agent: string): number {
    return this.#agents.get(agent)?.runs.length ?? 0;
  }

  /** Runs in the hour before `now`, and when the oldest of them leaves that hour. */
  runsInLastHour(agent: string, now: Date): { count: number; freesAt: Date | undefined } {
    const runs = this.#agents.get(agent)?.runs ?? [];
    const since = now.getTime() - HOUR_MS;
    const first = runs.findIndex((at) => at > since);
    if (first === -1) return { count: 0, freesAt: undefined };
    return { count: runs.length - first, freesAt: new Date(runs[first]! + HOUR_MS) };
  }
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** `2026-06-01`, the local calendar day: "today" is the machine's, as for `daily_budget_usd`. */
function dayKey(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

function monthKey(day: string): string {
  return day.slice(0, 7);
}

/** Dollars as a person reads them: cents, or more digits for amounts under a cent. */
export function usd(n: number): string {
  return `$${n >= 0.01 || n === 0 ? n.toFixed(2) : n.toPrecision(2)}`;
}

export interface BudgetHold {
  /** A sentence for the note and for `status`. */
  reason: string;
  /** When to look again. */
  until: Date;
}

/** Whether an agent must wait before its next turn, and why; null when it may run. */
export function budgetHold(
  ledger: Ledger,
  agent: { name: string; dailyBudgetUsd: number | undefined; maxRunsPerHour: number | undefined },
  now: Date,
): BudgetHold | null {
  if (agent.dailyBudgetUsd !== undefined) {
    const spent = ledger.spentToday(agent.name, now);
    if (spent >= agent.dailyBudgetUsd) {
      const tomorrow = new Date(now);
      tomorrow.setHours(24, 0, 0, 0);
      return {
        reason: `daily_budget_usd reached: ${usd(spent)} spent today of ${usd(agent.dailyBudgetUsd)}; waits until tomorrow`,
        until: tomorrow,
      };
    }
  }
  if (agent.maxRunsPerHour !== undefined) {
    const { count, freesAt } = ledger.runsInLastHour(agent.name, now);
    if (count >= agent.maxRunsPerHour && freesAt) {
      return {
        reason: `max_runs_per_hour reached: ${count} runs in the last hour; waits until ${freesAt.toTimeString().slice(0, 5)}`,
        until: freesAt,
      };
    }
  }
  return null;
}
