// The halt switch on a real daemon (real watcher, fake `claude`): HALT.md at the vault root stops every
// new turn and every fire; running turns finish; removing it goes on with what waited.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { haltCommand, resumeCommand } from '../../src/cli/halt.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { readStatus, type DaemonStatus } from '../../src/state/status-file.ts';
import type { ScheduleState } from '../../src/schedule/scheduler.ts';
import type { Clock } from '../../src/util/clock.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { heldClock, TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

let vault: TempVault;
let fake: FakeClaude;
let daemon: Daemon | undefined;
let logger: ReturnType<typeof createMemoryLogger>;

async function startDaemon(clock?: Clock): Promise<Daemon> {
  logger = createMemoryLogger();
  daemon = new Daemon({ vault: vault.root, config: TEST_CONFIG, logger, ...(clock ? { clock } : {}) });
  await daemon.start();
  return daemon;
}

async function scheduledNotes(): Promise<string[]> {
  const notes: string[] = [];
  for (const file of await vault.list('Inbox')) {
    if (file.endsWith('.md') && (await vault.fields(file).catch(() => ({}) as Record<string, unknown>)).from === 'scheduler') notes.push(file);
  }
  return notes;
}

/** status.json once it says `halted` is `halted`. */
function statusWhen(halted: boolean): Promise<DaemonStatus> {
  return waitFor(async () => {
    const status = await readStatus(vault.root);
    return status && status.halted === halted ? status : null;
  }, { what: `status.json halted: ${halted}` });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The CLI commands print on stdout; keep the test output clean and let a test read what they said. */
function captureStdout(): { text: () => string; restore: () => void } {
  let text = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  return { text: () => text, restore: () => spy.mockRestore() };
}

beforeEach(async () => {
  fake = await useFakeClaude();
  vault = await createTempVault({ 'Inbox/.keep': '' });
});

afterEach(async () => {
  try {
    await daemon?.close({ graceMs: 1_000 });
    daemon = undefined;
  } finally {
    await fake.restore();
    await vault.cleanup();
  }
});

describe('HALT.md written by hand', () => {
  it('a new message waits queued, the running turn finishes, status says halted with the reason; deleting HALT.md runs what waited', async () => {
    await vault.writeAgent('helper');
    await startDaemon();
    // Held until the halt is in force, so the turn surely runs through it.
    const slow = await vault.writeMessage('Slow one', 'helper', 'Take your time [[fake:gate:slow]]');
    await waitForStatus(vault, slow, 'running');

    await vault.write('HALT.md', '# Halted\n\nMaintenance window: the API key is being rotated.\n');
    await waitFor(() => daemon!.halted, { what: 'the daemon halted' });
    const waiting = await vault.writeMessage('Waits', 'helper', 'Run me after the halt.');
    await waitForStatus(vault, waiting, 'queued');

    // The running turn is not stopped.
    await fake.openGate('slow');
    const done = await waitForStatus(vault, slow, 'done');
    expect(done.error).toBeUndefined();
    await sleep(300);
    expect((await vault.fields(waiting)).status).toBe('queued');
    expect(fake.invocations()).toHaveLength(1);

    const status = await statusWhen(true);
    expect(status.haltReason).toBe('Maintenance window: the API key is being rotated.');
    expect(logger.lines.some((l) => l.msg === 'halted: no new turns until HALT.md is removed')).toBe(true);

    await rm(path.join(vault.root, 'HALT.md'));
    await waitForStatus(vault, waiting, 'done');
    expect(daemon!.halted).toBe(false);
    const resumed = await statusWhen(false);
    expect(resumed.haltReason).toBeUndefined();
    expect(fake.invocations()).toHaveLength(2);
  });

  it('an empty HALT.md halts, with a default reason', async () => {
    await vault.writeAgent('helper');
    await startDaemon();
    await vault.write('HALT.md', '');
    await waitFor(() => daemon!.halted, { what: 'halted by an empty HALT.md' });
    const msg = await vault.writeMessage('Empty halt', 'helper', 'Hello?');
    await waitForStatus(vault, msg, 'queued');
    expect((await statusWhen(true)).haltReason).toBe('HALT.md is present');
    await sleep(300);
    expect((await vault.fields(msg)).status).toBe('queued');
    await rm(path.join(vault.root, 'HALT.md'));
    await waitForStatus(vault, msg, 'done');
  });

  it('a HALT.md of garbage bytes (broken frontmatter, invalid UTF-8) halts', async () => {
    await vault.writeAgent('helper');
    await startDaemon();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(vault.root, 'HALT.md'), Buffer.concat([Buffer.from('---\n: [unclosed\n\x00'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80])]));
    await waitFor(() => daemon!.halted, { what: 'halted by a garbage HALT.md' });
    const msg = await vault.writeMessage('Garbage halt', 'helper', 'Hello?');
    await waitForStatus(vault, msg, 'queued');
    await sleep(300);
    expect((await vault.fields(msg)).status).toBe('queued');
    expect(fake.invocations()).toHaveLength(0);
    await rm(path.join(vault.root, 'HALT.md'));
    await waitForStatus(vault, msg, 'done');
  });

  it('an unreadable HALT.md (here a folder) present at start halts; messages found at start wait', async () => {
    await vault.writeAgent('helper');
    const msg = await vault.writeMessage('Found at start', 'helper', 'Hello?');
    await mkdir(path.join(vault.root, 'HALT.md'));
    await startDaemon();
    expect(daemon!.halted).toBe(true);
    await waitForStatus(vault, msg, 'queued');
    await sleep(300);
    expect((await vault.fields(msg)).status).toBe('queued');
    expect(fake.invocations()).toHaveLength(0);
  });

  it('a HALT.md at start halts before anything runs; deleting it runs the messages found', async () => {
    await vault.writeAgent('helper');
    const msg = await vault.writeMessage('Found at start', 'helper', 'Hello?');
    await vault.write('HALT.md', 'Stopped for the night.\n');
    await startDaemon();
    expect(daemon!.halted).toBe(true);
    await waitForStatus(vault, msg, 'queued');
    expect((await statusWhen(true)).haltReason).toBe('Stopped for the night.');
    await rm(path.join(vault.root, 'HALT.md'));
    await waitForStatus(vault, msg, 'done');
  });

  it('a note called HALT.md below the root does not halt', async () => {
    await vault.writeAgent('helper');
    await startDaemon();
    await vault.write('Notes/HALT.md', 'Not at the root.\n');
    const msg = await vault.writeMessage('Not halted', 'helper', 'Hello?');
    await waitForStatus(vault, msg, 'done');
    expect(daemon!.halted).toBe(false);
  });
});

describe('halt and resume from the command line (haltCommand / resumeCommand)', () => {
  it('halt "reason" writes HALT.md and halts the running daemon; resume removes it and what waited runs', async () => {
    await vault.writeAgent('helper');
    await startDaemon();
    const stdout = captureStdout();
    try {
      expect(await haltCommand(['Deploying', 'version', '2', '--vault', vault.root])).toBe(0);
      expect(stdout.text()).toContain('Halted:');
    } finally {
      stdout.restore();
    }
    expect(vault.exists('HALT.md')).toBe(true);
    expect(await vault.read('HALT.md')).toContain('Deploying version 2');
    await waitFor(() => daemon!.halted, { what: 'halted' });
    expect((await statusWhen(true)).haltReason).toBe('Deploying version 2');

    const msg = await vault.writeMessage('During deploy', 'helper', 'Hello?');
    await waitForStatus(vault, msg, 'queued');
    await sleep(300);
    expect((await vault.fields(msg)).status).toBe('queued');

    const again = captureStdout();
    try {
      expect(await resumeCommand(['--vault', vault.root])).toBe(0);
      expect(again.text()).toContain('Resumed');
      expect(await resumeCommand(['--vault', vault.root])).toBe(0);
      expect(again.text()).toContain('Not halted');
    } finally {
      again.restore();
    }
    expect(vault.exists('HALT.md')).toBe(false);
    await waitForStatus(vault, msg, 'done');
    await statusWhen(false);
  });
});

describe('schedules and the halt', () => {
  it('no fire while halted; after resume, a missed fire runs once (catch_up true) and none for catch_up false', async () => {
    await vault.writeAgent('digest', { schedule: '0 9 * * *', task: 'Digest.' });
    await vault.writeAgent('quiet', { schedule: '0 9 * * *', task: 'Quiet.', catch_up: false });
    await vault.write('HALT.md', 'Halted over 09:00.\n');
    // Monday, a moment before 09:00, from the moment the daemon is up.
    const clock = heldClock('2026-03-02T08:59:59.200Z');
    await startDaemon(clock);
    clock.release();
    expect(daemon!.halted).toBe(true);

    // 09:00 passes: the next run moves on to Tuesday, and nothing fired.
    await waitFor(() => daemon!.agentStatuses().every((a) => a.nextRun === '2026-03-03T09:00:00+00:00'), { what: 'the 09:00 slot passed' });
    await sleep(200);
    expect(await scheduledNotes()).toEqual([]);

    await rm(path.join(vault.root, 'HALT.md'));
    const [note] = await waitFor(async () => {
      const notes = await scheduledNotes();
      return notes.length > 0 ? notes : null;
    }, { what: 'the catch-up fire' });
    const done = await waitForStatus(vault, note!, 'done');
    expect(done).toMatchObject({ to: 'digest', from: 'scheduler', catch_up: true, scheduled_for: '2026-03-02T09:00:00+00:00' });
    await daemon!.idle();
    await sleep(200);
    expect(await scheduledNotes()).toEqual([note]);
    const state = JSON.parse(await vault.read('.scriptorium/schedule.json')) as ScheduleState;
    expect(state['quiet|0 9 * * *']?.lastSkip?.reason).toMatch(/catch_up: false/);
  });

  it('a per-second schedule stops firing as soon as HALT.md appears, and goes on after', async () => {
    await vault.writeAgent('ticker', { schedule: '* * * * * *', task: 'Tick.' });
    await startDaemon();
    await waitFor(async () => (await scheduledNotes()).length > 0, { what: 'a first fire' });
    await vault.write('HALT.md', 'Enough ticking.\n');
    await waitFor(() => daemon!.halted, { what: 'halted' });
    // A fire decided just before the halt may still be writing its note; ticks run one at a time, so it
    // is written once a tick after the halt has moved the next run on.
    const nextRun = () => daemon!.agentStatuses().find((a) => a.name === 'ticker')?.nextRun;
    const nextAtHalt = nextRun();
    await waitFor(() => nextRun() !== nextAtHalt, { what: 'a tick after the halt' });
    // (Not daemon.idle(): a fire written just before the halt waits queued, so the daemon is never idle.)
    await waitFor(async () => {
      const statuses = await Promise.all((await scheduledNotes()).map(async (n) => (await vault.fields(n)).status));
      return statuses.every((s) => s === 'done' || s === 'queued');
    }, { what: 'no fire running or being picked up' });
    const count = (await scheduledNotes()).length;
    await sleep(1_500);
    expect(await scheduledNotes()).toHaveLength(count);
    const statuses = await Promise.all((await scheduledNotes()).map(async (n) => (await vault.fields(n)).status));
    expect(statuses.filter((s) => s !== 'done').every((s) => s === 'queued')).toBe(true);
    await rm(path.join(vault.root, 'HALT.md'));
    await waitFor(async () => (await scheduledNotes()).length > count, { what: 'fires after resume' });
  });
});
