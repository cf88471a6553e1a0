// The operator's caps on the whole vault (daily_budget_usd, monthly_budget_usd in the operator config):
// past one, every agent's messages wait with the reason on them, on the dashboard and in status.json, and
// run by themselves once the day or month is over. The clock stands a moment before midnight while the
// cap is reached, then is let go: the daemon's own look at midnight runs what waited (no edit, no sleep).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { statusCommand } from '../../src/cli/status.ts';
import type { DaemonConfig } from '../../src/config/operator-config.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { readStatus } from '../../src/state/status-file.ts';
import { LEGACY_TURNS_FILE, type TurnLogEntry } from '../../src/state/turns-log.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { heldClock, TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

let vault: TempVault;
let fake: FakeClaude;
let daemon: Daemon | undefined;
let logger: ReturnType<typeof createMemoryLogger>;

/** A daemon on a vault with two agents, its clock held at `at` until the test lets it go. */
async function start(at: string, config: Partial<DaemonConfig>, files: Record<string, string> = {}): Promise<{ release(): void }> {
  fake = await useFakeClaude();
  vault = await createTempVault(files);
  await vault.writeAgent('alpha');
  await vault.writeAgent('beta');
  const clock = heldClock(at);
  logger = createMemoryLogger();
  // Dashboard writes close together, so the test sees the banner without waiting seconds for it.
  daemon = new Daemon({ vault: vault.root, config: { ...TEST_CONFIG, dashboardIntervalMs: 20, ...config }, logger, clock });
  await daemon.start();
  await daemon.watching();
  return clock;
}

afterEach(async () => {
  await daemon?.close({ graceMs: 1_000 });
  daemon = undefined;
  await fake?.restore();
  await vault?.cleanup();
});

/** A message's fields once it waits with a `waiting_for`. */
const waiting = (note: string) =>
  waitFor(async () => {
    const fields = await vault.fields(note);
    return fields.status === 'queued' && typeof fields.waiting_for === 'string' ? fields : null;
  }, { what: `${note} waiting` });

/** `scriptorium status` in-process, its output captured. */
async function statusOutput(): Promise<string> {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  try {
    await statusCommand([vault.root]);
  } finally {
    spy.mockRestore();
  }
  return stdout;
}

const reachedLines = () => logger.lines.filter((l) => l.msg === 'vault spending cap reached; no new turn starts');

describe("the vault's spending caps", () => {
  it("two agents together past the daily cap: the next message to either waits, visibly, and runs by itself the next day", async () => {
    // A fake turn costs $0.00014: one turn is under $0.00025, two are over it.
    const clock = await start('2026-06-01T23:59:59', { dailyBudgetUsd: 0.00025 });
    await waitForStatus(vault, await vault.writeMessage('one', 'alpha', 'One.'), 'done');
    await waitForStatus(vault, await vault.writeMessage('two', 'beta', 'Two.'), 'done');

    const reason = 'vault daily_budget_usd reached: $0.00028 spent today of $0.00025 (operator config); waits until tomorrow';
    const toAlpha = await vault.writeMessage('three', 'alpha', 'Three.');
    const toBeta = await vault.writeMessage('four', 'beta', 'Four.');
    expect((await waiting(toAlpha)).waiting_for).toBe(reason);
    expect((await waiting(toBeta)).waiting_for).toBe(reason);
    expect(fake.invocations()).toHaveLength(2);

    const dashboard = await waitFor(async () => {
      const text = await vault.read('Dashboard.md').catch(() => '');
      return text.includes('Spending stopped') ? text : null;
    }, { what: 'the dashboard saying spending stopped' });
    expect(dashboard).toContain(`# Dashboard\n\n> [!warning] Spending stopped\n> ${reason}. No turn starts for any agent until then`);
    const status = await waitFor(async () => {
      const read = await readStatus(vault.root);
      return read?.spending?.stopped ? read : null;
    }, { what: 'status.json saying spending stopped' });
    expect(status.spending).toEqual({ todayUsd: 0.00028000000000000003, monthUsd: 0.00028000000000000003, dailyBudgetUsd: 0.00025, stopped: reason });
    const shown = await statusOutput();
    expect(shown).toContain(`\nSPENDING STOPPED: ${reason}\n`);
    expect(shown).toContain('\nVault spending: $0.00028 of $0.00025 today, $0.00028 this month\n');
    // Said once, when the turn that reached it ended: not again for each message that waits.
    expect(reachedLines()).toHaveLength(1);
    expect(reachedLines()[0]).toMatchObject({ level: 'warn', cap: 'daily_budget_usd', until: '2026-06-02T00:00:00+00:00' });

    // Midnight comes: the look the daemon set for it runs both.
    clock.release();
    const ran = [await waitForStatus(vault, toAlpha, 'done'), await waitForStatus(vault, toBeta, 'done')];
    for (const fields of ran) {
      expect(fields.waiting_for).toBeUndefined();
      expect(String(fields.started_at)).toMatch(/^2026-06-02T00:00/);
    }
    expect(fake.invocations()).toHaveLength(4);
    expect(logger.lines.filter((l) => l.msg === 'vault spending cap over; turns start again')).toHaveLength(1);
    // Both started before either had cost anything: together they reach the new day's cap, said anew.
    await waitFor(() => reachedLines().length === 2, { what: "the new day's cap reached" });
    expect(reachedLines()[1]).toMatchObject({ cap: 'daily_budget_usd', until: '2026-06-03T00:00:00+00:00' });
  });

  it('the monthly cap counts this month from turns.jsonl at start; messages wait until the first of the next month', async () => {
    // Spent earlier this month, by a daemon run before this one; and last month, which does not count.
    const turn = (at: string, costUsd: number): TurnLogEntry => ({
      at, agent: 'alpha', message: 'Inbox/old.md', thread: 'Threads/alpha.md', reply: '', ok: true, error: undefined, costUsd, durationMs: 1, session: undefined,
    });
    const log = [turn('2026-05-20T10:00:00+00:00', 50), turn('2026-06-03T10:00:00+00:00', 2), turn('2026-06-17T10:00:00+00:00', 1.5)];
    const clock = await start('2026-06-30T23:59:59', { monthlyBudgetUsd: 3.5, dailyBudgetUsd: 10 }, {
      [LEGACY_TURNS_FILE]: log.map((t) => JSON.stringify(t)).join('\n') + '\n',
    });
    // Reached before any message came: said at start.
    expect(reachedLines()).toHaveLength(1);
    expect(reachedLines()[0]).toMatchObject({ cap: 'monthly_budget_usd', until: '2026-07-01T00:00:00+00:00' });

    const note = await vault.writeMessage('late', 'beta', 'End of the month.');
    expect((await waiting(note)).waiting_for).toBe('vault monthly_budget_usd reached: $3.50 spent this month of $3.50 (operator config); waits until next month');
    expect(fake.invocations()).toHaveLength(0);
    await waitFor(async () => (await vault.read('Dashboard.md').catch(() => '')).includes('> [!warning] Spending stopped'), { what: 'the banner' });

    clock.release();
    expect(String((await waitForStatus(vault, note, 'done')).started_at)).toMatch(/^2026-07-01T00:00/);
    expect(fake.invocations()).toHaveLength(1);
    expect(reachedLines()).toHaveLength(1);
  });
});
