import { describe, expect, it } from 'vitest';
import { budgetHold, Ledger } from '../../../src/state/ledger.ts';

const agent = (over: Partial<{ dailyBudgetUsd: number; maxRunsPerHour: number }> = {}) => ({
  name: 'a',
  dailyBudgetUsd: undefined as number | undefined,
  maxRunsPerHour: undefined as number | undefined,
  ...over,
});

describe('budgets from the recorded turns', () => {
  it('counts only what was spent since local midnight', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-06-01T23:30:00', costUsd: 5 });
    ledger.record({ agent: 'a', at: '2026-06-02T08:00:00', costUsd: 0.4 });
    ledger.record({ agent: 'b', at: '2026-06-02T08:00:00', costUsd: 9 });
    const now = new Date('2026-06-02T09:00:00');
    expect(ledger.spentToday('a', now)).toBeCloseTo(0.4);
    expect(budgetHold(ledger, agent({ dailyBudgetUsd: 0.5 }), now)).toBeNull();
    ledger.record({ agent: 'a', at: '2026-06-02T08:30:00', costUsd: 0.2 });
    const hold = budgetHold(ledger, agent({ dailyBudgetUsd: 0.5 }), now);
    expect(hold?.reason).toBe('daily_budget_usd reached: $0.60 spent today of $0.50; waits until tomorrow');
    expect(hold?.until).toEqual(new Date('2026-06-03T00:00:00'));
  });

  it('counts runs in the rolling hour and says when the oldest leaves it', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-06-02T08:10:00', costUsd: 0 });
    ledger.record({ agent: 'a', at: '2026-06-02T08:40:00', costUsd: 0 });
    ledger.record({ agent: 'a', at: '2026-06-02T07:00:00', costUsd: 0 });
    const now = new Date('2026-06-02T09:00:00');
    expect(ledger.runsInLastHour('a', now)).toEqual({ count: 2, freesAt: new Date('2026-06-02T09:10:00') });
    expect(budgetHold(ledger, agent({ maxRunsPerHour: 3 }), now)).toBeNull();
    expect(budgetHold(ledger, agent({ maxRunsPerHour: 2 }), now)?.until).toEqual(new Date('2026-06-02T09:10:00'));
  });

  it('an agent with no limits never waits', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-06-02T08:10:00', costUsd: 100 });
    expect(budgetHold(ledger, agent(), new Date('2026-06-02T09:00:00'))).toBeNull();
  });
});
