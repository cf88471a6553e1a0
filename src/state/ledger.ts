import type { TurnLogEntry } from './turns-log.ts';

const HOUR_MS = 3_600_000;

/**
 * What each agent has spent and how often it ran, from the recorded turns (`.scriptorium/turns.jsonl`
 * at start, then every finished turn): the base for `daily_budget_usd` and `max_runs_per_hour`.
 */
export class Ledger {
  readonly #turns = new Map<string, Array<{ at: number; cost: number }>>();

  record(entry: Pick<TurnLogEntry, 'agent' | 'at' | 'costUsd'>): void {
    const at = new Date(entry.at).getTime();
    if (!Number.isFinite(at)) return;
    const list = this.#turns.get(entry.agent) ?? [];
    list.push({ at, cost: Number.isFinite(entry.costUsd) ? entry.costUsd : 0 });
    this.#turns.set(entry.agent, list);
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

  /** Spent by every agent since `since`. */
  totalSince(since: Date): number {
    let sum = 0;
    for (const agent of this.#turns.keys()) sum += this.spentSince(agent, since);
    return sum;
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

/** Dollars as a person reads them: cents, or more digits for amounts under a cent. */
function usd(n: number): string {
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
