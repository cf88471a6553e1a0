// The Scheduler alone, on fake timers: the clock reads the faked Date, timers run only when a test
// advances them, and a restart is a new Scheduler on the same (in-memory) state store.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, parseDefinition, type AgentDefinition } from '../../../src/agents/definition.ts';
import { Scheduler, type Fire, type FireOutcome, type ScheduleState, type ScheduleStateStore } from '../../../src/schedule/scheduler.ts';
import { createMemoryLogger } from '../../../src/util/logger.ts';
import type { FrontmatterData } from '../../../src/vault/frontmatter.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : d);

function agent(name: string, fields: FrontmatterData): AgentDefinition {
  const result = parseDefinition(`Agents/${name}.md`, fields, `You are ${name}.`, '/vault');
  if (!result.ok) throw new Error(`test definition invalid: ${JSON.stringify(result.problems)}`);
  return result.definition;
}

/** State kept between "restarts": each save is a copy, each load hands out a copy, as a file would. */
function memoryStore(initial: ScheduleState = {}): ScheduleStateStore & { current(): ScheduleState; saves: number } {
  let saved = structuredClone(initial);
  const store = {
    saves: 0,
    current: () => structuredClone(saved),
    load: async () => structuredClone(saved),
    save: async (state: ScheduleState) => {
      saved = structuredClone(state);
      store.saves++;
    },
  };
  return store;
}

interface Rig {
  scheduler: Scheduler;
  fires: Fire[];
  /** Every onNextRun call, in order: [agent, ISO or null]. */
  nextRunCalls: Array<[string, string | null]>;
  logger: ReturnType<typeof createMemoryLogger>;
}

const rigs: Rig[] = [];
let halted = false;
/** What the fake `fire` answers; by default each fire "writes" Inbox/fire-<n>.md. */
let outcome: (fire: Fire, n: number) => FireOutcome | Promise<FireOutcome> = (_fire, n) => ({ fired: `Inbox/fire-${n}.md` });

function rig(store: ScheduleStateStore): Rig {
  const fires: Fire[] = [];
  const nextRunCalls: Rig['nextRunCalls'] = [];
  const logger = createMemoryLogger();
  const scheduler = new Scheduler({
    clock: { now: () => new Date() },
    logger,
    state: store,
    fire: async (fire) => {
      fires.push(fire);
      return outcome(fire, fires.length);
    },
    isHalted: () => halted,
    onNextRun: (name, next) => nextRunCalls.push([name, next ? next.toISOString() : null]),
  });
  const made = { scheduler, fires, nextRunCalls, logger };
  rigs.push(made);
  return made;
}

async function started(store: ScheduleStateStore, definitions: AgentDefinition[]): Promise<Rig> {
  const made = rig(store);
  await made.scheduler.start(definitions);
  return made;
}

/** Advance the fake clock (running the timers due meanwhile) and let the fires they start finish. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await vi.advanceTimersByTimeAsync(0);
}

const summary = (fires: Fire[]) => fires.map((f) => ({ cron: f.cron, task: f.task, at: f.scheduledFor.toISOString(), reason: f.reason }));

beforeEach(() => {
  vi.useFakeTimers();
  // Monday 2 March 2026, 08:00 UTC (the tests run with TZ=UTC).
  vi.setSystemTime(new Date('2026-03-02T08:00:00Z'));
  halted = false;
  outcome = (_fire, n) => ({ fired: `Inbox/fire-${n}.md` });
});

afterEach(() => {
  for (const r of rigs.splice(0)) r.scheduler.close();
  vi.useRealTimers();
});

describe('Scheduler: fires on time', () => {
  it('fires at the cron times as time advances, and not a moment before', async () => {
    const store = memoryStore();
    const { scheduler, fires } = await started(store, [agent('digest', { schedule: '0 9 * * *', task: 'Write the morning digest.' })]);
    expect(fires).toEqual([]);
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-02T09:00:00.000Z');

    await advance(HOUR - 1_000);
    expect(fires).toEqual([]);
    await advance(1_000);
    expect(fires).toHaveLength(1);
    expect(fires[0]).toEqual({
      agent: 'digest',
      cron: '0 9 * * *',
      task: 'Write the morning digest.',
      scheduledFor: new Date('2026-03-02T09:00:00Z'),
      previousNote: undefined,
      reason: 'schedule',
    });
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-03T09:00:00.000Z');

    await advance(DAY);
    expect(fires).toHaveLength(2);
    expect(fires[1]).toMatchObject({ scheduledFor: new Date('2026-03-03T09:00:00Z'), previousNote: 'Inbox/fire-1.md', reason: 'schedule' });
    expect(store.current()['digest|0 9 * * *']).toMatchObject({ lastFire: '2026-03-03T09:00:00.000Z', lastNote: 'Inbox/fire-2.md' });
    expect(scheduler.lastRuns().get('digest')).toBe('2026-03-03T09:00:00.000Z');
  });

  it('a list of schedules, each with its own task; an entry without one gets the agent task, an agent without one the default', async () => {
    const { scheduler, fires } = await started(memoryStore(), [
      agent('digest', {
        schedule: [{ cron: '0 9 * * *', task: 'Morning round-up.' }, { cron: '0 17 * * *', task: 'Evening summary.' }, '0 12 * * *'],
        task: 'Midday check.',
      }),
      agent('plain', { schedule: '30 10 * * *' }),
    ]);
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-02T09:00:00.000Z');
    await advance(10 * HOUR);
    expect(summary(fires)).toEqual([
      { cron: '0 9 * * *', task: 'Morning round-up.', at: '2026-03-02T09:00:00.000Z', reason: 'schedule' },
      { cron: '30 10 * * *', task: DEFAULTS.task, at: '2026-03-02T10:30:00.000Z', reason: 'schedule' },
      { cron: '0 12 * * *', task: 'Midday check.', at: '2026-03-02T12:00:00.000Z', reason: 'schedule' },
      { cron: '0 17 * * *', task: 'Evening summary.', at: '2026-03-02T17:00:00.000Z', reason: 'schedule' },
    ]);
    expect(fires.map((f) => f.agent)).toEqual(['digest', 'plain', 'digest', 'digest']);
    // The earliest of the agent's entries is its next run.
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-03T09:00:00.000Z');
  });

  it('keeps 09:00 local in the agent zone across the spring change (Europe/Paris: 08:00Z, then 07:00Z)', async () => {
    vi.setSystemTime(new Date('2026-03-26T12:00:00Z'));
    const { fires } = await started(memoryStore(), [agent('digest', { schedule: '0 9 * * 1-5', tz: 'Europe/Paris' })]);
    await advance(5 * DAY);
    expect(fires.map((f) => f.scheduledFor.toISOString())).toEqual([
      '2026-03-27T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-03-31T07:00:00.000Z',
    ]);
  });

  it('a 02:30 job on the spring-forward day fires once, at the end of the gap (Europe/Paris)', async () => {
    vi.setSystemTime(new Date('2026-03-28T12:00:00Z'));
    const { fires } = await started(memoryStore(), [agent('night', { schedule: '30 2 * * *', tz: 'Europe/Paris' })]);
    await advance(DAY + 13 * HOUR);
    expect(fires.map((f) => f.scheduledFor.toISOString())).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('a 02:30 job on the fall-back day fires once, not twice (Europe/Paris)', async () => {
    vi.setSystemTime(new Date('2026-10-24T12:00:00Z'));
    const { fires } = await started(memoryStore(), [agent('night', { schedule: '30 2 * * *', tz: 'Europe/Paris' })]);
    await advance(DAY + 6 * HOUR);
    expect(fires.map((f) => f.scheduledFor.toISOString())).toEqual(['2026-10-25T00:30:00.000Z']);
  });

  it('a schedule seen for the first time does not fire for slots before it was seen', async () => {
    vi.setSystemTime(new Date('2026-03-02T09:30:00Z'));
    const store = memoryStore();
    const { scheduler, fires } = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    expect(fires).toEqual([]);
    expect(store.current()['digest|0 9 * * *']).toEqual({ seenAt: '2026-03-02T09:30:00.000Z' });
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-03T09:00:00.000Z');

    // Nor does one added by an edit while the scheduler runs.
    await advance(HOUR);
    await scheduler.sync([agent('digest', { schedule: '0 9 * * *' }), agent('other', { schedule: '0 * * * *' })]);
    expect(fires).toEqual([]);
    await advance(30 * 60_000);
    expect(summary(fires)).toEqual([{ cron: '0 * * * *', task: DEFAULTS.task, at: '2026-03-02T11:00:00.000Z', reason: 'schedule' }]);
  });

  it('a fire that throws is logged and the schedule goes on', async () => {
    outcome = (_fire, n) => {
      if (n === 1) throw new Error('disk full');
      return { fired: `Inbox/fire-${n}.md` };
    };
    const { fires, logger } = await started(memoryStore(), [agent('digest', { schedule: '0 9 * * *' })]);
    await advance(HOUR);
    expect(fires).toHaveLength(1);
    expect(logger.lines.find((l) => l.msg === 'scheduled fire failed')).toMatchObject({ level: 'error', agent: 'digest', error: 'disk full' });
    await advance(DAY);
    expect(fires).toHaveLength(2);
  });
});

describe('Scheduler: downtime and catch-up', () => {
  it('catch_up true: after a restart over several missed slots, exactly one catch-up fire, for the first missed slot', async () => {
    const store = memoryStore();
    const before = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    await advance(HOUR);
    expect(before.fires).toHaveLength(1);
    before.scheduler.close();

    // Down from Monday 09:00 to Thursday 12:00: Tuesday, Wednesday and Thursday 09:00 were missed.
    vi.setSystemTime(new Date('2026-03-05T12:00:00Z'));
    await advance(0);
    expect(before.fires).toHaveLength(1);

    const after = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    expect(summary(after.fires)).toEqual([{ cron: '0 9 * * *', task: DEFAULTS.task, at: '2026-03-03T09:00:00.000Z', reason: 'catch-up' }]);
    expect(after.fires[0]!.previousNote).toBe('Inbox/fire-1.md');
    expect(store.current()['digest|0 9 * * *']).toMatchObject({ lastFire: '2026-03-05T12:00:00.000Z' });
    expect(iso(after.scheduler.nextRuns().get('digest'))).toBe('2026-03-06T09:00:00.000Z');

    // And then on schedule again, once per slot.
    await advance(DAY);
    expect(summary(after.fires).map((f) => [f.at, f.reason])).toEqual([
      ['2026-03-03T09:00:00.000Z', 'catch-up'],
      ['2026-03-06T09:00:00.000Z', 'schedule'],
    ]);
    expect(before.fires).toHaveLength(1);
  });

  it('catch_up true: a schedule that never fired before the stop is caught up from when it was first seen', async () => {
    const store = memoryStore();
    const before = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    before.scheduler.close();
    vi.setSystemTime(new Date('2026-03-04T10:00:00Z'));
    const after = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    expect(summary(after.fires)).toEqual([{ cron: '0 9 * * *', task: DEFAULTS.task, at: '2026-03-02T09:00:00.000Z', reason: 'catch-up' }]);
  });

  it('catch_up true: a restart before the next slot fires nothing', async () => {
    const store = memoryStore();
    const before = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    await advance(HOUR);
    before.scheduler.close();
    vi.setSystemTime(new Date('2026-03-03T08:59:00Z'));
    const after = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    expect(after.fires).toEqual([]);
    await advance(60_000);
    expect(summary(after.fires).map((f) => f.reason)).toEqual(['schedule']);
  });

  it('catch_up false: nothing fires for the missed slots, the skip is recorded, and the next slot fires', async () => {
    const store = memoryStore();
    const definition = agent('digest', { schedule: '0 9 * * *', catch_up: false });
    const before = await started(store, [definition]);
    await advance(HOUR);
    expect(before.fires).toHaveLength(1);
    before.scheduler.close();

    vi.setSystemTime(new Date('2026-03-05T12:00:00Z'));
    const after = await started(store, [definition]);
    expect(after.fires).toEqual([]);
    const entry = store.current()['digest|0 9 * * *']!;
    expect(entry.lastSkip?.at).toBe('2026-03-05T12:00:00.000Z');
    expect(entry.lastSkip?.reason).toMatch(/catch_up: false/);
    expect(after.logger.lines.some((l) => l.msg === 'missed fire not caught up' && l.missed === '2026-03-03T09:00:00.000Z')).toBe(true);

    // A second restart does not count the same missed slots again.
    after.scheduler.close();
    vi.setSystemTime(new Date('2026-03-05T12:30:00Z'));
    const again = await started(store, [definition]);
    expect(again.fires).toEqual([]);
    expect(store.current()['digest|0 9 * * *']!.lastSkip?.at).toBe('2026-03-05T12:00:00.000Z');

    await advance(DAY);
    expect(summary(again.fires).map((f) => [f.at, f.reason])).toEqual([['2026-03-06T09:00:00.000Z', 'schedule']]);
  });
});

describe('Scheduler: overlap', () => {
  it('a fire answered with {skipped} records lastSkip; the next fire still names the note that is running', async () => {
    outcome = (fire, n) =>
      n === 1 ? { fired: 'Inbox/first.md' } : { skipped: `the previous scheduled run (${fire.previousNote}) is still running` };
    const store = memoryStore();
    const { fires, logger, scheduler } = await started(store, [agent('digest', { schedule: '0 * * * *' })]);
    await advance(HOUR); // 09:00: fired
    await advance(HOUR); // 10:00: skipped
    expect(fires.map((f) => f.previousNote)).toEqual([undefined, 'Inbox/first.md']);
    const entry = store.current()['digest|0 * * * *']!;
    expect(entry.lastNote).toBe('Inbox/first.md');
    expect(entry.lastSkip).toEqual({ at: '2026-03-02T10:00:00.000Z', reason: 'the previous scheduled run (Inbox/first.md) is still running' });
    expect(logger.lines.some((l) => l.msg === 'scheduled fire skipped' && l.agent === 'digest')).toBe(true);

    await advance(HOUR); // 11:00: still compared against the first note
    expect(fires[2]!.previousNote).toBe('Inbox/first.md');
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-02T12:00:00.000Z');
  });
});

describe('Scheduler: live edits', () => {
  it('sync() with an edited cron re-arms: the old time no longer fires, the new one does', async () => {
    const { scheduler, fires, nextRunCalls } = await started(memoryStore(), [agent('digest', { schedule: '0 9 * * *' })]);
    await advance(30 * 60_000);
    await scheduler.sync([agent('digest', { schedule: '0 10 * * *', task: 'Later now.' })]);
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-02T10:00:00.000Z');
    expect(nextRunCalls.at(-1)).toEqual(['digest', '2026-03-02T10:00:00.000Z']);

    await advance(HOUR); // 09:30: 09:00 has passed
    expect(fires).toEqual([]);
    await advance(30 * 60_000); // 10:00
    expect(summary(fires)).toEqual([{ cron: '0 10 * * *', task: 'Later now.', at: '2026-03-02T10:00:00.000Z', reason: 'schedule' }]);
  });

  it('sync() with only the task edited keeps the time and sends the new task', async () => {
    const { scheduler, fires } = await started(memoryStore(), [agent('digest', { schedule: '0 9 * * *', task: 'Old task.' })]);
    await scheduler.sync([agent('digest', { schedule: '0 9 * * *', task: 'New task.' })]);
    await advance(HOUR);
    expect(summary(fires)).toEqual([{ cron: '0 9 * * *', task: 'New task.', at: '2026-03-02T09:00:00.000Z', reason: 'schedule' }]);
  });

  it('sync() without the agent stops its fires and reports its next run as null', async () => {
    const { scheduler, fires, nextRunCalls } = await started(memoryStore(), [
      agent('digest', { schedule: '0 9 * * *' }),
      agent('keeper', { schedule: '0 12 * * *' }),
    ]);
    await scheduler.sync([agent('keeper', { schedule: '0 12 * * *' })]);
    expect(nextRunCalls.at(-1)).toEqual(['digest', null]);
    expect(scheduler.nextRuns().has('digest')).toBe(false);
    await advance(2 * DAY);
    expect(fires.map((f) => f.agent)).toEqual(['keeper', 'keeper']);
  });

  it('sync() with the schedule removed, or the agent disabled, stops its fires and reports null', async () => {
    const { scheduler, fires, nextRunCalls } = await started(memoryStore(), [
      agent('digest', { schedule: '0 9 * * *' }),
      agent('weekly', { schedule: '0 9 * * *' }),
    ]);
    await scheduler.sync([agent('digest', {}), agent('weekly', { schedule: '0 9 * * *', enabled: false })]);
    expect(nextRunCalls.slice(-2).sort()).toEqual([
      ['digest', null],
      ['weekly', null],
    ]);
    expect([...scheduler.nextRuns().keys()]).toEqual([]);
    await advance(2 * DAY);
    expect(fires).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('onNextRun reports the next run at start, after each fire and after an edit', async () => {
    const { scheduler, nextRunCalls } = await started(memoryStore(), [agent('digest', { schedule: '0 9 * * *' })]);
    expect(nextRunCalls).toEqual([['digest', '2026-03-02T09:00:00.000Z']]);
    await advance(HOUR);
    expect(nextRunCalls.at(-1)).toEqual(['digest', '2026-03-03T09:00:00.000Z']);
    await scheduler.sync([agent('digest', { schedule: '0 9 * * 1' })]);
    expect(nextRunCalls.at(-1)).toEqual(['digest', '2026-03-09T09:00:00.000Z']);
    // Every report matches what nextRuns() says at the end.
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-09T09:00:00.000Z');
  });

  it('after close(), no timer is left and a sync does nothing', async () => {
    const { scheduler, fires } = await started(memoryStore(), [agent('digest', { schedule: '0 9 * * *' })]);
    expect(vi.getTimerCount()).toBe(1);
    scheduler.close();
    expect(vi.getTimerCount()).toBe(0);
    await scheduler.sync([agent('digest', { schedule: '*/5 * * * *' })]);
    expect(vi.getTimerCount()).toBe(0);
    await advance(DAY);
    expect(fires).toEqual([]);
  });
});

describe('Scheduler: halt', () => {
  it('while halted, ticks fire nothing; resumed() fires once for what was missed (catch_up true)', async () => {
    const store = memoryStore();
    const { scheduler, fires } = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    halted = true;
    await advance(DAY + 2 * HOUR); // Monday and Tuesday 09:00 pass while halted
    expect(fires).toEqual([]);
    // The next run moves on meanwhile (status shows the next slot, not a stale one).
    expect(iso(scheduler.nextRuns().get('digest'))).toBe('2026-03-04T09:00:00.000Z');

    halted = false;
    await scheduler.resumed();
    expect(summary(fires)).toEqual([{ cron: '0 9 * * *', task: DEFAULTS.task, at: '2026-03-02T09:00:00.000Z', reason: 'catch-up' }]);
    await scheduler.resumed();
    expect(fires).toHaveLength(1);
    await advance(DAY);
    expect(summary(fires).map((f) => [f.at, f.reason])).toEqual([
      ['2026-03-02T09:00:00.000Z', 'catch-up'],
      ['2026-03-04T09:00:00.000Z', 'schedule'],
    ]);
  });

  it('while halted, a start fires nothing; resuming catches up once', async () => {
    const store = memoryStore();
    const before = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    before.scheduler.close();
    vi.setSystemTime(new Date('2026-03-04T12:00:00Z'));
    halted = true;
    const after = await started(store, [agent('digest', { schedule: '0 9 * * *' })]);
    expect(after.fires).toEqual([]);
    halted = false;
    await after.scheduler.resumed();
    expect(summary(after.fires).map((f) => f.reason)).toEqual(['catch-up']);
  });

  it('a resume before start() (HALT.md removed while the vault is still being scanned) keeps the saved state', async () => {
    const store = memoryStore({ 'digest|0 9 * * *': { lastFire: '2026-02-27T09:00:00.000Z', lastNote: 'Inbox/old.md' } });
    const made = rig(store);
    await made.scheduler.resumed();
    expect(store.current()).toEqual({ 'digest|0 9 * * *': { lastFire: '2026-02-27T09:00:00.000Z', lastNote: 'Inbox/old.md' } });
    await made.scheduler.start([agent('digest', { schedule: '0 9 * * *' })]);
    // What was missed since Friday is caught up once, as after any downtime.
    expect(summary(made.fires).map((f) => [f.at, f.reason])).toEqual([['2026-02-28T09:00:00.000Z', 'catch-up']]);
    expect(made.fires[0]!.previousNote).toBe('Inbox/old.md');
  });

  it('while halted with catch_up false, resuming fires nothing and records the skip', async () => {
    const store = memoryStore();
    const { scheduler, fires } = await started(store, [agent('digest', { schedule: '0 9 * * *', catch_up: false })]);
    halted = true;
    await advance(2 * HOUR);
    halted = false;
    await scheduler.resumed();
    expect(fires).toEqual([]);
    expect(store.current()['digest|0 9 * * *']!.lastSkip?.at).toBe('2026-03-02T10:00:00.000Z');
    await advance(DAY);
    expect(summary(fires).map((f) => [f.at, f.reason])).toEqual([['2026-03-03T09:00:00.000Z', 'schedule']]);
  });
});

describe('schedule identity', () => {
  it('two entries with the same cron and their own tasks are two schedules: both fire', async () => {
    vi.setSystemTime(new Date('2026-06-01T08:59:00Z'));
    const digest = agent('digest', {
      tz: 'UTC',
      schedule: [
        { cron: '0 9 * * *', task: 'Morning digest.' },
        { cron: '0 9 * * *', task: 'Check the inbox.' },
      ],
    });
    const r = await started(memoryStore(), [digest]);
    await advance(60_000);
    expect(r.fires.map((f) => f.task).sort()).toEqual(['Check the inbox.', 'Morning digest.']);
  });

  it('a schedule removed and put back while running starts afresh: no catch-up for the time it was gone', async () => {
    vi.setSystemTime(new Date('2026-06-01T08:00:00Z'));
    const withSchedule = agent('digest', { tz: 'UTC', schedule: '0 9 * * *', task: 'Digest.' });
    const without = agent('digest', { tz: 'UTC', task: 'Digest.' });
    const r = await started(memoryStore(), [withSchedule]);
    await r.scheduler.sync([without]);
    await advance(3 * DAY);
    await r.scheduler.sync([withSchedule]);
    await advance(0);
    expect(r.fires).toEqual([]);
    await advance(DAY);
    expect(r.fires).toHaveLength(1);
  });

  it('catch_up false: LAST RUN stays the real last run, not the moment the miss was noticed', async () => {
    vi.setSystemTime(new Date('2026-06-01T08:59:00Z'));
    const store = memoryStore();
    const digest = agent('digest', { tz: 'UTC', schedule: '0 9 * * *', task: 'Digest.', catch_up: false });
    const first = await started(store, [digest]);
    await advance(60_000);
    expect(first.fires).toHaveLength(1);
    const ranAt = first.scheduler.lastRuns().get('digest');
    first.scheduler.close();
    vi.setSystemTime(new Date('2026-06-05T12:00:00Z'));
    const second = await started(store, [digest]);
    expect(second.fires).toHaveLength(0);
    expect(second.scheduler.lastRuns().get('digest')).toBe(ranAt);
    expect(store.current()['digest|0 9 * * *']!.lastSkip?.reason).toMatch(/catch_up: false/);
  });
});
