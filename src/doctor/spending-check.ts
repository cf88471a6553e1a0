import type { DaemonConfig } from '../config/operator-config.ts';
import { Ledger, usd } from '../state/ledger.ts';
import { readTurnsSince } from '../state/turns-read.ts';
import { vaultSpending } from '../state/vault-budget.ts';
import type { Finding } from './findings.ts';

/**
 * The vault's spending today and this month against the operator config's caps, from
 * `.scriptorium/turns/` read as the daemon reads it at start (this month only).
 */
export async function checkSpending(root: string, config: DaemonConfig, configFile: string, now: Date): Promise<Finding[]> {
  const ledger = new Ledger();
  for (const turn of await readTurnsSince(root, new Date(now.getFullYear(), now.getMonth(), 1))) ledger.record(turn);
  const spending = vaultSpending(ledger, { dailyUsd: config.dailyBudgetUsd, monthlyUsd: config.monthlyBudgetUsd }, now);
  const of = (cap: number | undefined, name: string) => (cap === undefined ? ` (no ${name})` : ` of ${usd(cap)} (${name})`);
  const findings: Finding[] = [
    {
      level: 'info',
      message: `spent by all agents: ${usd(spending.todayUsd)} today${of(spending.dailyBudgetUsd, 'daily_budget_usd')}, ${usd(spending.monthUsd)} this month${of(spending.monthlyBudgetUsd, 'monthly_budget_usd')}`,
    },
  ];
  if (spending.stopped) {
    findings.push({ level: 'warn', file: configFile, message: `${spending.stopped}. No turn starts for any agent until then; raise the cap and restart the daemon to go on sooner` });
  }
  return findings;
}
