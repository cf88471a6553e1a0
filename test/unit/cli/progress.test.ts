import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachProgress, elapsed } from '../../../src/cli/progress.ts';
import { DaemonEvents } from '../../../src/state/events.ts';
import { createMemoryLogger } from '../../../src/util/logger.ts';

afterEach(() => vi.useRealTimers());

describe('attachProgress', () => {
  it('shows each turn: start, each tool with the time since the start, and the outcome with cost', () => {
    vi.useFakeTimers();
    let now = 0;
    const events = new DaemonEvents();
    const logger = createMemoryLogger();
    const detach = attachProgress(events, logger, { now: () => now, heartbeatMs: 30_000 });
    const at = '2026-11-21T10:00:00+00:00';
    events.emit({ type: 'turn-started', data: { agent: 'researcher', message: 'Inbox/q.md', thread: 'Threads/researcher.md', at } });
    now = 12_000;
    events.emit({ type: 'tool', data: { agent: 'researcher', message: 'Inbox/q.md', tool: 'WebSearch', at } });
    now = 45_000;
    vi.advanceTimersByTime(30_000);
    events.emit({
      type: 'turn-finished',
      data: { at, agent: 'researcher', message: 'Inbox/q.md', thread: 'Threads/researcher.md', reply: 'Outbox/r.md', ok: true, error: undefined, costUsd: 0.0123, durationMs: 65_000, session: 's', text: 'hi' },
    });
    vi.advanceTimersByTime(60_000);
    detach();
    expect(logger.lines.map((l) => [l.msg, l.elapsed ?? l.took ?? '', l.cost ?? ''])).toEqual([
      ['researcher ▸ Inbox/q.md', '', ''],
      ['researcher   WebSearch', '12 s', ''],
      ['researcher … still working', '45 s', ''],
      ['researcher ✓ Outbox/r.md', '1 min 05 s', '$0.0123'],
    ]);
    expect(logger.lines.every((l) => l.agent === 'researcher')).toBe(true);
  });

  it('a failed turn is a warning with its error', () => {
    const events = new DaemonEvents();
    const logger = createMemoryLogger();
    attachProgress(events, logger)();
    const detach = attachProgress(events, logger);
    events.emit({
      type: 'turn-finished',
      data: { at: 'x', agent: 'a', message: 'Inbox/q.md', thread: 't', reply: 'r', ok: false, error: 'API overloaded', costUsd: 0, durationMs: 900, session: undefined, text: '' },
    });
    detach();
    expect(logger.lines).toMatchObject([{ level: 'warn', msg: 'a ✗ Inbox/q.md', error: 'API overloaded', took: '1 s' }]);
  });

  it('a turn whose notes wait for the disk is said once, then no longer "still working"', () => {
    vi.useFakeTimers();
    const events = new DaemonEvents();
    const logger = createMemoryLogger();
    const detach = attachProgress(events, logger, { now: () => 0, heartbeatMs: 30_000 });
    const at = '2026-11-21T10:00:00+00:00';
    events.emit({ type: 'turn-started', data: { agent: 'a', message: 'Inbox/q.md', thread: 'Threads/a.md', at } });
    events.emit({ type: 'turn-unwritten', data: { agent: 'a', message: 'Inbox/q.md', error: 'ENOSPC: no space left on device, write', at } });
    vi.advanceTimersByTime(90_000);
    detach();
    expect(logger.lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'a ▸ Inbox/q.md'],
      ['warn', 'a ! Inbox/q.md: turn ended, its notes are not written yet'],
    ]);
  });
});

describe('elapsed', () => {
  it('reads as a person says it', () => {
    expect([elapsed(0), elapsed(59_400), elapsed(60_000), elapsed(3_725_000)]).toEqual(['0 s', '59 s', '1 min 00 s', '62 min 05 s']);
  });
});
