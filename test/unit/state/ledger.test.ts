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

describe('what the ledger keeps', () => {
  it('today and this month are local days and months: a turn before midnight is yesterday, one on the last of the month last month', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: '2026-06-30T23:59:59', costUsd: 1 });
    const lastOfJune = new Date('2026-06-30T23:59:59.500');
    expect(ledger.spentToday('a', lastOfJune)).toBe(1);
    expect(ledger.spentThisMonth('a', lastOfJune)).toBe(1);
    ledger.record({ agent: 'a', at: '2026-07-01T00:00:00', costUsd: 0.25 });
    ledger.record({ agent: 'b', at: '2026-07-01T10:00:00', costUsd: 2 });
    const firstOfJuly = new Date('2026-07-01T12:00:00');
    expect(ledger.spentToday('a', firstOfJuly)).toBe(0.25);
    expect(ledger.spentThisMonth('a', firstOfJuly)).toBe(0.25);
    expect(ledger.vaultToday(firstOfJuly)).toBe(2.25);
    expect(ledger.vaultThisMonth(firstOfJuly)).toBe(2.25);
    expect(ledger.turnsToday(firstOfJuly)).toBe(2);
    expect(ledger.turnsToday(new Date('2026-07-02T00:00:01'))).toBe(0);
    // The next day of the same month: today starts from nothing, the month goes on.
    const secondOfJuly = new Date('2026-07-02T08:00:00');
    expect(ledger.spentToday('a', secondOfJuly)).toBe(0);
    expect(ledger.spentThisMonth('a', secondOfJuly)).toBe(0.25);
    // And the next month: nothing spent yet.
    const august = new Date('2026-08-01T08:00:00');
    expect(ledger.spentThisMonth('a', august)).toBe(0);
    expect(ledger.spentToday('b', august)).toBe(0);
  });

  it('turns read at start in any order add up to the same sums', () => {
    const inOrder = new Ledger();
    const shuffled = new Ledger();
    const turns = Array.from({ length: 50 }, (_, i) => ({ agent: i % 2 ? 'a' : 'b', at: new Date(2026, 5, 1 + (i % 30), i % 24, 7).toISOString(), costUsd: i / 100 }));
    for (const t of turns) inOrder.record(t);
    for (const t of [...turns].reverse()) shuffled.record(t);
    for (const now of [new Date(2026, 5, 3, 23, 0), new Date(2026, 5, 30, 23, 0)]) {
      for (const agent of ['a', 'b']) {
        expect(shuffled.spentToday(agent, now)).toBeCloseTo(inOrder.spentToday(agent, now));
        expect(shuffled.spentThisMonth(agent, now)).toBeCloseTo(inOrder.spentThisMonth(agent, now));
        expect(shuffled.runsInLastHour(agent, now)).toEqual(inOrder.runsInLastHour(agent, now));
      }
    }
  });

  it('keeps only the last hour of runs however many turns are recorded, and answers for the last hour as before', () => {
    const ledger = new Ledger();
    const start = new Date('2026-06-01T00:00:00').getTime();
    // A month of a run every five minutes.
    for (let i = 0; i < 30 * 24 * 12; i++) ledger.record({ agent: 'a', at: new Date(start + i * 300_000).toISOString(), costUsd: 0.01 });
    expect(ledger.runsKept('a')).toBe(12);
    const last = new Date(start + (30 * 24 * 12 - 1) * 300_000);
    expect(ledger.runsInLastHour('a', last)).toEqual({ count: 12, freesAt: new Date(last.getTime() - 11 * 300_000 + 3_600_000) });
    // As the hour moves on with no new turn, runs leave it one by one.
    expect(ledger.runsInLastHour('a', new Date(last.getTime() + 30 * 60_000)).count).toBe(6);
    expect(ledger.runsInLastHour('a', new Date(last.getTime() + 3_600_000))).toEqual({ count: 0, freesAt: undefined });
    expect(ledger.spentThisMonth('a', last)).toBeCloseTo(30 * 24 * 12 * 0.01);
    expect(ledger.spentToday('a', last)).toBeCloseTo(24 * 12 * 0.01);
  });

  it('a turn with no valid time is not counted, and a cost that is not a number counts as nothing', () => {
    const ledger = new Ledger();
    ledger.record({ agent: 'a', at: 'yesterday', costUsd: 5 });
    ledger.record({ agent: 'a', at: '2026-06-02T08:30:00', costUsd: Number.NaN });
    const now = new Date('2026-06-02T09:00:00');
    expect(ledger.spentToday('a', now)).toBe(0);
    expect(ledger.turnsToday(now)).toBe(1);
    expect(ledger.runsInLastHour('a', now).count).toBe(1);
  });
});
