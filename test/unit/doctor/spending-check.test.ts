import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config/operator-config.ts';
import { checkSpending } from '../../../src/doctor/spending-check.ts';
import { LEGACY_TURNS_FILE } from '../../../src/state/turns-log.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-spending-'));
  await mkdir(path.join(root, '.scriptorium'));
  const turns = [
    ['2026-05-31T22:00:00', 40],
    ['2026-06-10T09:00:00', 3],
    ['2026-06-12T09:00:00', 1.25],
    ['2026-06-12T10:00:00', 0.5],
  ].map(([at, costUsd]) => JSON.stringify({ at, agent: 'a', message: 'Inbox/m.md', thread: 'Threads/a.md', reply: '', ok: true, costUsd, durationMs: 1 }));
  await writeFile(path.join(root, LEGACY_TURNS_FILE), turns.join('\n') + '\n');
});

afterEach(() => rm(root, { recursive: true, force: true }));

const now = new Date('2026-06-12T18:00:00');

describe("doctor's look at the vault's spending", () => {
  it("shows today's and this month's spending, and that there is no cap", async () => {
    expect(await checkSpending(root, DEFAULT_CONFIG, '/etc/scriptorium.yaml', now)).toEqual([
      { level: 'info', message: 'spent by all agents: $1.75 today (no daily_budget_usd), $4.75 this month (no monthly_budget_usd)' },
    ]);
  });

  it('warns, naming the config file, while a cap stops every turn', async () => {
    const findings = await checkSpending(root, { ...DEFAULT_CONFIG, dailyBudgetUsd: 10, monthlyBudgetUsd: 4.5 }, '/etc/scriptorium.yaml', now);
    expect(findings).toEqual([
      { level: 'info', message: 'spent by all agents: $1.75 today of $10.00 (daily_budget_usd), $4.75 this month of $4.50 (monthly_budget_usd)' },
      {
        level: 'warn',
        file: '/etc/scriptorium.yaml',
        message: 'vault monthly_budget_usd reached: $4.75 spent this month of $4.50 (operator config); waits until next month. No turn starts for any agent until then; raise the cap and restart the daemon to go on sooner',
      },
    ]);
  });
});
