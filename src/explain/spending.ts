import { Ledger } from '../state/ledger.ts';
import { vaultBudgetHold, type VaultHold } from '../state/vault-budget.ts';
import type { ExplainContext } from './types.ts';

/**
 * Whether the vault's spending caps stop every turn now, as the daemon decides it (turns/vault-cap.ts):
 * from the recorded turns and the operator config's caps, or, when those say nothing, the running
 * daemon's own word in status.json (its config may not be the one explain read).
 */
export function vaultStop(ctx: ExplainContext): { cap: VaultHold['cap']; reason: string; until: Date | undefined } | null {
  if (ctx.budget) {
    const ledger = new Ledger();
    for (const turn of ctx.turns) ledger.record(turn);
    const hold = vaultBudgetHold(ledger, ctx.budget, ctx.now);
    if (hold) return { cap: hold.cap, reason: hold.reason, until: hold.until };
  }
  const reason = ctx.daemon?.status?.spending?.stopped;
  if (!reason) return null;
  return { cap: reason.startsWith('vault monthly_budget_usd') ? 'monthly_budget_usd' : 'daily_budget_usd', reason, until: undefined };
}
