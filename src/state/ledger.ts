import type { TurnLogEntry } from './turns-log.ts';

const HOUR_MS = 3_600_000;

/**
 * What each agent has spent and how often it ran, from the recorded turns (`.scriptorium/turns.jsonl`
 * at start, then every finished turn): the base for `daily_budget_usd` and `max_runs_per_hour`, and for
 * the vault's caps of the operator config (state/vault-budget.ts).
 */
export class Ledger {
  readonly #turns = new Map<string, Array<{ at: number; cost: number }>>();
  /**
   * All agents' spending by local day and by local month: the vault's caps are looked at before every
   * turn, so they are one lookup, not a sum over every turn on record.
   */
  readonly #byDay = new Map<string, number>();
  readonly #byMonth = new Map<string, number>();

  record(entry: Pick<TurnLogEntry, 'agent' | 'at' | 'costUsd'>): void {
    const at = new Date(entry.at).getTime();
    if (!Number.isFinite(at)) return;
    const cost = Number.isFinite(entry.costUsd) ? entry.costUsd : 0;
    const list = this.#turns.get(entry.agent) ?? [];
    list.push({ at, cost });
    this.#turns.set(entry.agent, list);
    const day = dayKey(new Date(at));
    this.#byDay.set(day, (this.#byDay.get(day) ?? 0) + cost);
    this.#byMonth.set(monthKey(day), (this.#byMonth.get(monthKey(day)) ?? 0) + cost);
  }

  /** Spent by every agent on `now`'s local day. */
  vaultToday(now: Date): number {
    return this.#byDay.get(dayKey(now)) ?? 0;
  }

  /** Spent by every agent in `now`'s local month. */
  vaultThisMonth(now: Date): number {
    return this.#byMonth.get(monthKey(dayKey(now))) ?? 0;
  }

  /** Spent since local midnight of `now`. */
  spentToday(agent: string, now: Date): number {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    return this.spentSince(agent, midnight);
  }

  /** Spent since the first day of `now`'s month, local time (the dashboard's month column). */
  spentThisMonth(agent: string, now: Date): number {
    return this.spentSince(agent, new Date(now.getFullYear(), now.getMonth(), 1));
  }

  spentSince(agent: string, since: Date): number {
    return (this.#turns.get(agent) ?? []).filter((t) => t.at >= since.getTime()).reduce((sum, t) => sum + t.cost, 0);
  }

  /** Turns recorded since `since`, all agents. */
  turnsSince(since: Date): number {
    let n = 0;
    for (const list of this.#turns.values()) n += list.filter((t) => t.at >= since.getTime()).length;
    return n;
  }

  /** Runs in the hour before `now`, and when the oldest of them leaves that hour. */
  runsInLastHour(agent: string, now: Date): { count: number; freesAt: Date | undefined } {
    const since = now.getTime() - HOUR_MS;
    const recent = (this.#turns.get(agent) ?? []).filter((t) => t.at > since).sort((a, b) => a.at - b.at);
    return { count: recent.length, freesAt: recent[0] ? new Date(recent[0].at + HOUR_MS) : undefined };
  }
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
