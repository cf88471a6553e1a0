// The turn history across a month's change, with a real daemon and the fake `claude`: each turn lands in
// its local month's file, a start counts this month only (from the month file and from the single file of
// older versions, which is read but never written again), and the newest turns shown reach back into last
// month. The clock is the test's: it stands at the moments chosen, no waiting for midnight.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { statusCommand } from '../../src/cli/status.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { LEGACY_TURNS_FILE, monthFile, TURNS_DIR, type TurnLogEntry } from '../../src/state/turns-log.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { createHarness, TEST_CONFIG, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
let again: Daemon | undefined;

afterEach(async () => {
  await again?.close();
  await h?.close();
  h = again = undefined;
});

const turn = (at: string, costUsd: number, message = `Inbox/${at}.md`): TurnLogEntry => ({
  at, agent: 'helper', message, thread: 'Threads/helper.md', reply: '', ok: true, error: undefined, costUsd, durationMs: 1, session: undefined,
});
const jsonl = (turns: TurnLogEntry[]) => turns.map((t) => JSON.stringify(t) + '\n').join('');
const cents = (n: number) => Math.round(n * 100);

async function statusJson(root: string): Promise<{ turns: TurnLogEntry[] }> {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  try {
    await statusCommand([root, '--json']);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(stdout) as { turns: TurnLogEntry[] };
}

describe('the turn history, one file a month', () => {
  it('an upgraded vault: this month from both files, new turns in their month, the legacy file untouched', async () => {
    // Before the upgrade (in June): May and the start of June in the single file.
    const legacy = jsonl([turn('2026-05-20T10:00:00+00:00', 50), turn('2026-06-03T10:00:00+00:00', 2)]);
    // After it: the rest of June in June's file.
    const june = jsonl([turn('2026-06-17T10:00:00+00:00', 1.5), turn('2026-06-30T23:00:00+00:00', 0.25)]);
    let now = new Date('2026-06-30T23:59:00+00:00');
    h = await createHarness({ clock: { now: () => now }, files: { [LEGACY_TURNS_FILE]: legacy, [monthFile('2026-06')]: june } });
    await h.vault.writeAgent('helper');
    await h.start();
    expect(cents(h.daemon.dashboardSnapshot().totals.costMonth)).toBe(375);
    expect(cents(h.daemon.dashboardSnapshot().totals.costToday)).toBe(25);

    // A turn a minute before midnight, and one just after it.
    await waitForStatus(h.vault, await h.vault.writeMessage('late', 'helper', 'Before midnight?'), 'done');
    now = new Date('2026-07-01T00:00:30+00:00');
    await waitForStatus(h.vault, await h.vault.writeMessage('early', 'helper', 'After midnight?'), 'done');
    const [late, early] = h.finished.map((f) => f.entry);
    expect(late!.at).toMatch(/^2026-06-30T23:59/);
    expect(early!.at).toMatch(/^2026-07-01T00:00/);
    // The appends are not awaited by the turn: wait on the files.
    const text = (month: string) => readFile(path.join(h!.vault.root, monthFile(month)), 'utf8').catch(() => '');
    await waitFor(async () => (await text('2026-07')).endsWith('\n') && (await text('2026-06')).length > june.length, { what: 'both turns recorded' });
    expect(await text('2026-06')).toBe(june + JSON.stringify(late) + '\n');
    expect(await text('2026-07')).toBe(JSON.stringify(early) + '\n');
    expect(await readFile(path.join(h.vault.root, LEGACY_TURNS_FILE), 'utf8')).toBe(legacy);
    expect((await readdir(path.join(h.vault.root, TURNS_DIR))).sort()).toEqual(['2026-06.jsonl', '2026-07.jsonl']);

    // A start in July counts July alone, and still shows June's last turns.
    await h.daemon.close();
    now = new Date('2026-07-01T00:10:00+00:00');
    again = new Daemon({ vault: h.vault.root, config: TEST_CONFIG, logger: createMemoryLogger(), clock: { now: () => now } });
    await again.start();
    const snapshot = again.dashboardSnapshot();
    expect(cents(snapshot.totals.costMonth)).toBe(cents(early!.costUsd));
    expect(snapshot.turns.map((t) => t.at)).toEqual([early!.at, late!.at, '2026-06-30T23:00:00+00:00', '2026-06-17T10:00:00+00:00', '2026-06-03T10:00:00+00:00', '2026-05-20T10:00:00+00:00']);
    // `status`: the last turns across the files, oldest first.
    expect((await statusJson(h.vault.root)).turns.map((t) => t.at).slice(-3)).toEqual(['2026-06-30T23:00:00+00:00', late!.at, early!.at]);
  });
});
