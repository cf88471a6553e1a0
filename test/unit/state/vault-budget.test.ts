import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/state/ledger.ts';
import { vaultBudgetHold, vaultSpending } from '../../../src/state/vault-budget.ts';

const caps = (dailyUsd?: number, monthlyUsd?: number) => ({ dailyUsd, monthlyUsd });

describe("the vault's spending caps", () => {
  it('count every agent together, by local day and local month', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-05-31T23:59:00', costUsd: 10 });
    ledger.record({ agent: 'a', at: '2026-06-01T00:00:00', costUsd: 1 });
    ledger.record({ agent: 'b', at: '2026-06-01T12:00:00', costUsd: 2 });
    ledger.record({ agent: 'c', at: '2026-06-02T08:00:00', costUsd: 4 });
    expect(ledger.vaultToday(new Date('2026-06-01T18:00:00'))).toBe(3);
    expect(ledger.vaultToday(new Date('2026-06-02T18:00:00'))).toBe(4);
    expect(ledger.vaultThisMonth(new Date('2026-06-02T18:00:00'))).toBe(7);
    expect(ledger.vaultThisMonth(new Date('2026-05-15T18:00:00'))).toBe(10);
    expect(ledger.vaultToday(new Date('2026-06-03T00:00:00'))).toBe(0);
  });

  it('past the daily cap: no turn until local midnight, with the figures in the reason', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-06-01T09:00:00', costUsd: 2.5 });
    ledger.record({ agent: 'b', at: '2026-06-01T10:00:00', costUsd: 2.52 });
    const now = new Date('2026-06-01T11:00:00');
    expect(vaultBudgetHold(ledger, caps(5.03), now)).toBeNull();
    expect(vaultBudgetHold(ledger, caps(5), now)).toEqual({
      cap: 'daily_budget_usd',
      reason: 'vault daily_budget_usd reached: $5.02 spent today of $5.00 (operator config); waits until tomorrow',
      until: new Date('2026-06-02T00:00:00'),
    });
  });

  it('past the monthly cap: no turn until the first of next month, whatever the day allows', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-12-03T09:00:00', costUsd: 60 });
    ledger.record({ agent: 'b', at: '2026-12-20T10:00:00', costUsd: 41 });
    const now = new Date('2026-12-20T11:00:00');
    expect(vaultBudgetHold(ledger, caps(undefined, 200), now)).toBeNull();
    // Both reached: the month says the longer wait.
    expect(vaultBudgetHold(ledger, caps(10, 100), now)).toEqual({
      cap: 'monthly_budget_usd',
      reason: 'vault monthly_budget_usd reached: $101.00 spent this month of $100.00 (operator config); waits until next month',
      until: new Date('2027-01-01T00:00:00'),
    });
    expect(vaultBudgetHold(ledger, caps(10, 100), new Date('2027-01-01T00:00:00'))).toBeNull();
  });

  it('no caps, no hold; the spending is reported all the same', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-06-01T09:00:00', costUsd: 1000 });
    const now = new Date('2026-06-01T11:00:00');
    expect(vaultBudgetHold(ledger, caps(), now)).toBeNull();
    expect(vaultSpending(ledger, caps(), now)).toEqual({ todayUsd: 1000, monthUsd: 1000, dailyBudgetUsd: undefined, monthlyBudgetUsd: undefined, stopped: undefined });
  });
});
