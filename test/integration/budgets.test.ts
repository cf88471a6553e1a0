// daily_budget_usd and max_runs_per_hour: past either, messages wait visibly and run once the day or the
// hour has moved on. The clock is injected and moved by hand; a definition edit makes the daemon look again.
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.ts';
import { readStatus } from '../../src/state/status-file.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

let vault: TempVault;
let fake: FakeClaude;
let daemon: Daemon;
let now = 0;

async function start(agentFields: Record<string, unknown>): Promise<void> {
  now = new Date('2026-06-01T10:00:00').getTime();
  fake = await useFakeClaude();
  vault = await createTempVault();
  await vault.writeAgent('spender', agentFields);
  daemon = new Daemon({ vault: vault.root, config: TEST_CONFIG, logger: createMemoryLogger(), clock: { now: () => new Date(now) } });
  await daemon.start();
}

afterEach(async () => {
  await daemon?.close({ graceMs: 1_000 });
  await fake?.restore();
  await vault?.cleanup();
});

describe('limits that make messages wait', () => {
  it('past daily_budget_usd, a message waits with the reason on it and in status, and runs the next day', async () => {
    // The fake turn costs $0.00014: one turn is over a $0.0001 day.
    await start({ daily_budget_usd: 0.0001 });
    const first = await vault.writeMessage('first', 'spender', 'One.');
    await waitForStatus(vault, first, 'done');
    const second = await vault.writeMessage('second', 'spender', 'Two.');
    const waiting = await waitFor(async () => {
      const f = await vault.fields(second);
      return f.status === 'queued' && typeof f.waiting_for === 'string' ? f : null;
    }, { what: 'the second message waiting' });
    expect(waiting.waiting_for).toBe('daily_budget_usd reached: $0.00014 spent today of $0.00010; waits until tomorrow');
    await waitFor(async () => (await readStatus(vault.root))?.agents.find((a) => a.name === 'spender')?.hold, { what: 'status shows the hold' });
    expect(fake.invocations()).toHaveLength(1);

    now += 24 * 3_600_000;
    await vault.writeAgent('spender', { daily_budget_usd: 0.0001, description: 'edited, so the daemon looks again' });
    const done = await waitForStatus(vault, second, 'done');
    expect(done.waiting_for).toBeUndefined();
    expect(fake.invocations()).toHaveLength(2);
  });

  it('past max_runs_per_hour, a message waits until the hour has moved on', async () => {
    await start({ max_runs_per_hour: 1 });
    const first = await vault.writeMessage('first', 'spender', 'One.');
    await waitForStatus(vault, first, 'done');
    const second = await vault.writeMessage('second', 'spender', 'Two.');
    const waiting = await waitFor(async () => (await vault.fields(second)).waiting_for, { what: 'the second message waiting' });
    expect(String(waiting)).toMatch(/^max_runs_per_hour reached: 1 runs in the last hour; waits until \d\d:\d\d$/);

    now += 61 * 60_000;
    await vault.writeAgent('spender', { max_runs_per_hour: 1, description: 'edited' });
    await waitForStatus(vault, second, 'done');
    expect(fake.invocations()).toHaveLength(2);
  });
});
