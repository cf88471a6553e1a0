import { usd, type BudgetHold, type Ledger } from './ledger.ts';

/**
 * The operator's caps on what the whole vault spends (every agent of one daemon), from the operator
 * config: outside the vault, so no note can raise them. Days and months are the machine's local ones,
 * as for an agent's `daily_budget_usd`.
 */
export interface VaultBudget {
  dailyUsd: number | undefined;
  monthlyUsd: number | undefined;
}

/** What the vault has spent, and its caps: for status.json, the dashboard and doctor. */
export interface VaultSpending {
  todayUsd: number;
  monthUsd: number;
  dailyBudgetUsd?: number | undefined;
  monthlyBudgetUsd?: number | undefined;
  /** Set while a cap is reached: the sentence waiting messages carry. */
  stopped?: string | undefined;
}

export interface VaultHold extends BudgetHold {
  cap: 'daily_budget_usd' | 'monthly_budget_usd';
}

/**
 * Whether no turn may start, for any agent, and why; null while the vault is under its caps. The month
 * is looked at first: once it is spent, the next day frees nothing.
 */
export function vaultBudgetHold(ledger: Ledger, budget: VaultBudget, now: Date): VaultHold | null {
  if (budget.monthlyUsd !== undefined) {
    const spent = ledger.vaultThisMonth(now);
    if (spent >= budget.monthlyUsd) {
      return {
        cap: 'monthly_budget_usd',
        reason: `vault monthly_budget_usd reached: ${usd(spent)} spent this month of ${usd(budget.monthlyUsd)} (operator config); waits until next month`,
        until: new Date(now.getFullYear(), now.getMonth() + 1, 1),
      };
    }
  }
  if (budget.dailyUsd !== undefined) {
    const spent = ledger.vaultToday(now);
    if (spent >= budget.dailyUsd) {
      return {
        cap: 'daily_budget_usd',
        reason: `vault daily_budget_usd reached: ${usd(spent)} spent today of ${usd(budget.dailyUsd)} (operator config); waits until tomorrow`,
        until: new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1),
      };
    }
  }
  return null;
}

export function vaultSpending(ledger: Ledger, budget: VaultBudget, now: Date): VaultSpending {
  return {
    todayUsd: ledger.vaultToday(now),
    monthUsd: ledger.vaultThisMonth(now),
    dailyBudgetUsd: budget.dailyUsd,
    monthlyBudgetUsd: budget.monthlyUsd,
    stopped: vaultBudgetHold(ledger, budget, now)?.reason,
  };
}
