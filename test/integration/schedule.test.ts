// Scheduled agents on a real daemon: the real watcher, the real runner and the fake `claude`. Fires come
// either from a per-second cron (6 fields, seconds first) or from an injected clock set just before a
// daily slot, so no test waits for a real minute.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonConfig } from '../../src/config/operator-config.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { nextFire } from '../../src/schedule/cron.ts';
import type { ScheduleState } from '../../src/schedule/scheduler.ts';
import { isoLocal, type Clock } from '../../src/util/clock.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { clockFrom, heldClock, linkedPath, TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { hasFlag, useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, inboundNote, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

let vault: TempVault;
let fake: FakeClaude;
let daemon: Daemon | undefined;
let logger: ReturnType<typeof createMemoryLogger>;

async function startDaemon(clock?: Clock, config: Partial<DaemonConfig> = {}): Promise<Daemon> {
  logger = createMemoryLogger();
  daemon = new Daemon({ vault: vault.root, config: { ...TEST_CONFIG, ...config }, logger, ...(clock ? { clock } : {}) });
  await daemon.start();
  return daemon;
}

async function stopDaemon(): Promise<void> {
  await daemon?.close({ graceMs: 1_000 });
  daemon = undefined;
}

/** Inbound notes the scheduler wrote, oldest first. */
async function scheduledNotes(): Promise<string[]> {
  const notes: string[] = [];
  for (const file of await vault.list('Inbox')) {
    if (file.endsWith('.md') && (await vault.fields(file).catch(() => ({}) as Record<string, unknown>)).from === 'scheduler') notes.push(file);
  }
  return notes;
}

async function scheduleState(): Promise<ScheduleState> {
  return JSON.parse(await vault.read('.scriptorium/schedule.json')) as ScheduleState;
}

const logCount = (msg: string, fields: Record<string, unknown> = {}) =>
  logger.lines.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v)).length;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A user's edit of one piece of a definition, done until the daemon has read it. With a per-second
 * schedule Scriptorium rewrites next_run every second, and two races (reported with these tests) can
 * make an edit vanish: its read-modify-write may put the old text back, or fold the edit into its own
 * write, which the watcher then drops as "our own". A retry writes different bytes (trailing spaces).
 */
async function edit(rel: string, from: string, to: string): Promise<void> {
  const reads = () => logger.lines.filter((l) => l.note === rel && /^agent definition (loaded|invalid)$/.test(String(l.msg))).length;
  expect(await vault.read(rel)).toContain(from);
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = reads();
    const raw = await vault.read(rel);
    const edited = raw.includes(from) ? raw.replace(from, to) : raw;
    await vault.write(rel, attempt === 0 ? edited : edited.replace(/ *$/, ' '.repeat(attempt)));
    // A second is plenty on an idle machine; a busy one gets longer with each attempt.
    const held = await waitFor(async () => reads() > before && !(await vault.read(rel)).includes(from), { timeoutMs: 1_000 * 2 ** Math.min(attempt, 4) }).catch(
      () => false,
    );
    if (held) return;
  }
  throw new Error(`the edit of ${rel} (${JSON.stringify(from)} → ${JSON.stringify(to)}) was never read by the daemon`);
}

beforeEach(async () => {
  fake = await useFakeClaude();
  vault = await createTempVault({ 'Inbox/.keep': '' });
});

afterEach(async () => {
  try {
    await stopDaemon();
  } finally {
    await fake.restore();
    await vault.cleanup();
  }
});

describe('a scheduled fire', () => {
  it('writes an inbound note from scheduler (the task as body, schedule and scheduled_for) that runs to done with a reply', async () => {
    await vault.writeAgent('digest', { schedule: '0 9 * * *', task: 'Summarise what came in overnight.' });
    // Monday, a moment before 09:00 (UTC, the zone of the tests), from the moment the daemon is up.
    const clock = heldClock('2026-03-02T08:59:58.800Z');
    await startDaemon(clock);
    clock.release();

    const [note] = await waitFor(async () => {
      const notes = await scheduledNotes();
      return notes.length > 0 ? notes : null;
    }, { what: 'the scheduled message' });
    const done = await waitForStatus(vault, note!, 'done');
    expect(done).toMatchObject({
      tags: ['agent/message/inbound'],
      to: 'digest',
      from: 'scheduler',
      schedule: '0 9 * * *',
      scheduled_for: '2026-03-02T09:00:00+00:00',
      thread: '[[Threads/digest]]',
    });
    expect(done.catch_up).toBeUndefined();
    expect((await vault.body(note!)).trim()).toBe('Summarise what came in overnight.');

    // The reply: the fake echoes its prompt, where the task is framed as coming from the scheduler.
    const reply = linkedPath(done.reply);
    expect((await vault.fields(reply)).from).toBe('digest');
    expect(await vault.body(reply)).toMatch(/^fake reply to: <scriptorium-context>\ntime: 2026-03-02T09:00:\d\d\+00:00 \(UTC\)\nfrom: scheduler/);
    // The prompt frames the task as coming from the scheduler.
    const invocations = fake.invocations();
    expect(invocations).toHaveLength(1);
    expect(invocations[0]!.prompt).toContain('The message below comes from the scheduler, not from the user.');
    expect(invocations[0]!.prompt).toContain('<message from="scheduler">\nSummarise what came in overnight.\n</message>');

    // Recorded for the next start, and the definition shows the next run.
    expect((await scheduleState())['digest|0 9 * * *']).toMatchObject({ lastNote: note });
    await waitFor(async () => (await vault.fields('Agents/digest.md')).next_run === '2026-03-03T09:00:00+00:00', { what: 'next_run moved to Tuesday' });
    // One slot, one note.
    expect(await scheduledNotes()).toEqual([note]);
  });

  it('after a restart over missed slots, catch_up true fires once (catch_up: true on the note); catch_up false fires none and records the skip', async () => {
    await vault.writeAgent('digest', { schedule: '0 9 * * *', task: 'Daily digest.' });
    await vault.writeAgent('quiet', { schedule: '0 9 * * *', task: 'Quiet digest.', catch_up: false });
    await startDaemon(clockFrom('2026-03-02T12:00:00Z'));
    expect(await scheduledNotes()).toEqual([]);
    await stopDaemon();

    // Down until Thursday noon: Tuesday, Wednesday and Thursday 09:00 were missed.
    await startDaemon(clockFrom('2026-03-05T12:00:00Z'));
    const notes = await waitFor(async () => {
      const found = await scheduledNotes();
      return found.length > 0 ? found : null;
    }, { what: 'the catch-up message' });
    const done = await waitForStatus(vault, notes[0]!, 'done');
    expect(done).toMatchObject({ to: 'digest', from: 'scheduler', catch_up: true, scheduled_for: '2026-03-03T09:00:00+00:00' });
    await daemon!.idle();
    expect(await scheduledNotes()).toHaveLength(1);

    const state = await scheduleState();
    expect(state['quiet|0 9 * * *']?.lastSkip?.reason).toMatch(/catch_up: false/);
    expect(state['digest|0 9 * * *']?.lastSkip).toBeUndefined();
    expect(logCount('missed fire not caught up', { agent: 'quiet' })).toBe(1);
  });
});

describe('next_run on the definition', () => {
  it('appears, and an unrelated edit does not make Scriptorium rewrite it', async () => {
    const definition = await vault.writeAgent('morning', { description: 'Mornings.', schedule: '0 9 * * 1-5', tz: 'Europe/Paris' });
    // The edit is read once (what this test counts) if its file events come within the settle time: on a
    // busy machine they can be far apart (writeFile opens, then writes; the echo of Scriptorium's own
    // next_run write may come late), and two looks would each read the edit.
    await startDaemon(undefined, { settleMs: 2_000 });
    const expected = isoLocal(nextFire('0 9 * * 1-5', 'Europe/Paris', new Date())!);
    await waitFor(async () => (await vault.fields(definition)).next_run === expected, { what: `next_run ${expected}` });
    expect(logCount('agent definition loaded', { note: definition })).toBe(1);

    // The user changes the description; the note keeps next_run as the daemon wrote it.
    const edited = (await vault.read(definition)).replace('description: Mornings.', 'description: Weekday mornings.');
    expect(edited).toMatch(/^next_run: /m);
    await vault.write(definition, edited);
    const writtenAt = (await stat(path.join(vault.root, definition))).mtimeMs;
    await waitFor(() => logCount('agent definition loaded', { note: definition }) === 2, { what: 'the edit read' });
    await daemon!.idle();
    await sleep(300);

    expect(await vault.read(definition)).toBe(edited);
    expect((await stat(path.join(vault.root, definition))).mtimeMs).toBe(writtenAt);
    // No write of Scriptorium's own came back as an edit.
    expect(logCount('agent definition loaded', { note: definition })).toBe(2);
  });

  it('follows a live edit of the schedule, and goes away with the schedule, whose fires stop', async () => {
    const definition = await vault.writeAgent('ticker', { schedule: '0 9 * * *', tz: 'UTC', task: 'Tick.' });
    await startDaemon();
    const at9 = isoLocal(nextFire('0 9 * * *', 'UTC', new Date())!);
    await waitFor(async () => (await vault.fields(definition)).next_run === at9, { what: 'next_run at 09:00' });

    // Edited to 10:30: the note says so without a restart.
    await edit(definition, 'schedule: 0 9 * * *\n', 'schedule: 30 10 * * *\n');
    const at1030 = isoLocal(nextFire('30 10 * * *', 'UTC', new Date())!);
    await waitFor(async () => (await vault.fields(definition)).next_run === at1030, { what: 'next_run at 10:30' });

    // Edited to every second: it fires.
    await edit(definition, 'schedule: 30 10 * * *\n', 'schedule: "* * * * * *"\n');
    await waitFor(async () => (await scheduledNotes()).length > 0, { what: 'a fire of the per-second schedule' });

    // Removed: next_run goes, and nothing fires any more.
    await edit(definition, 'schedule: "* * * * * *"\n', '');
    await waitFor(async () => (await vault.fields(definition)).next_run === undefined, { what: 'next_run removed' });
    expect((await vault.fields(definition)).schedule).toBeUndefined();
    await daemon!.idle();
    const count = (await scheduledNotes()).length;
    await sleep(1_500);
    expect(await scheduledNotes()).toHaveLength(count);
    for (const note of await scheduledNotes()) expect((await vault.fields(note)).status).toBe('done');
  });
});

describe('overlap and threads', () => {
  it('a fire while the previous run of the schedule is still running is skipped, and the skip is recorded', async () => {
    // The first run is held until the test lets it go: it runs through as many fires as a busy machine needs.
    await vault.writeAgent('slow', { schedule: '* * * * * *', task: 'A long job [[fake:gate:long]]' });
    await startDaemon();
    const [first] = await waitFor(async () => {
      const notes = await scheduledNotes();
      return notes.length > 0 ? notes : null;
    }, { what: 'the first fire' });
    await waitForStatus(vault, first!, 'running');
    const runningSince = Date.now();
    // A skip decided after the run was seen running (one decided before may have found it still queued).
    const skip = await waitFor(async () => {
      try {
        const last = (await scheduleState())['slow|* * * * * *']?.lastSkip;
        return last && Date.parse(last.at) >= runningSince ? last : undefined;
      } catch {
        return undefined;
      }
    }, { what: 'a skip recorded while the first run runs' });
    const notes = await scheduledNotes();
    expect(notes).toHaveLength(1);
    expect(skip.reason).toBe(`the previous scheduled run (${notes[0]}) is still running`);
    expect(logCount('scheduled fire skipped', { agent: 'slow' })).toBeGreaterThanOrEqual(1);
    expect((await vault.fields(notes[0]!)).status).toBe('running');
    // The skipped slots left no note behind; the first run finishes normally. Its turns are counted when
    // it is seen done: the fires after it go on, one a second.
    await fake.openGate('long');
    const calls = await waitFor(async () => ((await vault.fields(notes[0]!)).status === 'done' ? fake.invocations().length : null), {
      what: `${notes[0]} done`,
    });
    expect(calls).toBeLessThanOrEqual(2);
  });

  it('each fire of a multi-threaded agent starts a fresh thread', async () => {
    await vault.writeAgent('fresh', { schedule: '* * * * * *', task: 'Start over.', mode: 'multi-threaded' });
    await startDaemon();
    const done = await waitFor(async () => {
      const notes = await scheduledNotes();
      const fields = await Promise.all(notes.map((n) => vault.fields(n)));
      const finished = fields.filter((f) => f.status === 'done');
      return finished.length >= 2 ? finished.slice(0, 2) : null;
    }, { what: 'two scheduled messages done' });
    const [a, b] = done;
    expect(a!.thread).not.toBe(b!.thread);
    for (const f of done) {
      const thread = await vault.fields(linkedPath(f.thread));
      expect(thread).toMatchObject({ tags: ['agent/thread'], agent: 'fresh', mode: 'multi-threaded', turn_count: 1 });
    }
    // Two sessions, neither resumed.
    const invocations = fake.invocations().slice(0, 2);
    expect(invocations.every((i) => !hasFlag(i.argv, '--resume'))).toBe(true);
  });
});

describe('invalid and disabled', () => {
  it('an invalid cron is reported on the note with what is wrong, nothing fires, and the fixed note is taken live', async () => {
    const definition = await vault.writeAgent('broken', { schedule: '0 25 * * *' });
    const other = await vault.writeAgent('fields', { schedule: '0 9 * *' });
    await startDaemon();
    await waitFor(async () => (await vault.fields(definition)).error, { what: 'error on the definition' });
    expect((await vault.fields(definition)).error).toBe('schedule: "0 25 * * *" is not a valid cron expression (Invalid value for hour: 25)');
    await waitFor(async () => (await vault.fields(other)).error, { what: 'error on the second definition' });
    expect(String((await vault.fields(other)).error)).toMatch(/^schedule: "0 9 \* \*" is not a valid cron expression \(.*five, six, or seven/);
    expect((await vault.fields(definition)).next_run).toBeUndefined();

    await edit(definition, 'schedule: 0 25 * * *\n', 'schedule: 0 23 * * *\n');
    const expected = isoLocal(nextFire('0 23 * * *', undefined, new Date())!);
    await waitFor(async () => {
      const fields = await vault.fields(definition);
      return fields.error === undefined && fields.next_run === expected;
    }, { what: 'error cleared and next_run shown' });
    expect(await scheduledNotes()).toEqual([]);
  });

  it('a schedule made invalid by an edit stops firing and no longer shows a next run', async () => {
    const definition = await vault.writeAgent('ticker', { schedule: '* * * * * *', task: 'Tick.' });
    await startDaemon();
    await waitFor(async () => (await scheduledNotes()).length > 0, { what: 'a first fire' });
    await edit(definition, 'schedule: "* * * * * *"\n', 'schedule: "* * * * * * * *"\n');
    await waitFor(async () => (await vault.fields(definition)).error, { what: 'the error' });
    expect(String((await vault.fields(definition)).error)).toMatch(/five, six, or seven/);
    await daemon!.idle();
    const count = (await scheduledNotes()).length;
    await sleep(1_500);
    expect(await scheduledNotes()).toHaveLength(count);
    expect((await vault.fields(definition)).next_run).toBeUndefined();
  });

  it('enabled: false stops fires and makes messages wait, queued; enabled: true runs them and fires again', async () => {
    const definition = await vault.writeAgent('sleeper', { schedule: '* * * * * *', task: 'Wake up.', enabled: false });
    const message = await vault.writeMessage('For the sleeper', 'sleeper', 'Are you there?');
    await startDaemon();
    await waitForStatus(vault, message, 'queued');
    await sleep(1_500);
    expect(await scheduledNotes()).toEqual([]);
    expect((await vault.fields(message)).status).toBe('queued');
    expect((await vault.fields(definition)).next_run).toBeUndefined();
    expect(fake.invocations()).toHaveLength(0);

    await edit(definition, 'enabled: false\n', 'enabled: true\n');
    await waitForStatus(vault, message, 'done');
    await waitFor(async () => (await scheduledNotes()).length > 0, { what: 'fires after enabling' });
    await waitFor(async () => typeof (await vault.fields(definition)).next_run === 'string', { what: 'next_run after enabling' });
  });
});

describe('a scheduled message waits behind the agent lane like any other', () => {
  it('a message written by hand and a fire for the same agent both run, one after the other', async () => {
    await vault.writeAgent('busy', { schedule: '0 9 * * *', task: 'Scheduled work.' });
    // Held until the fire has been seen waiting behind it.
    await vault.write('Inbox/By hand.md', inboundNote('busy', 'Handwritten work [[fake:gate:by-hand]]'));
    const clock = heldClock('2026-03-02T08:59:59.000Z');
    await startDaemon(clock);
    clock.release();
    await waitForStatus(vault, 'Inbox/By hand.md', 'running');
    const [note] = await waitFor(async () => {
      const notes = await scheduledNotes();
      return notes.length > 0 ? notes : null;
    }, { what: 'the scheduled message' });
    // It waits for the lane (the hand-written one is still running)...
    expect(['ready', 'queued']).toContain(String((await vault.fields(note!)).status));
    // ...then runs.
    await fake.openGate('by-hand');
    await waitForStatus(vault, note!, 'done');
    expect((await vault.fields('Inbox/By hand.md')).status).toBe('done');
  });
});
