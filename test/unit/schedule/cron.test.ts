// Cron expressions in IANA zones across the daylight-saving changes, and the messages for bad expressions.
import { describe, expect, it } from 'vitest';
import { cronProblem, nextFire } from '../../../src/schedule/cron.ts';

/** The fires of `expression` strictly after `from` and up to `until`, as ISO strings (UTC). */
function firesBetween(expression: string, tz: string, from: string, until: string): string[] {
  const fires: string[] = [];
  const end = new Date(until);
  let t = new Date(from);
  for (;;) {
    const next = nextFire(expression, tz, t);
    if (!next || next > end) return fires;
    fires.push(next.toISOString());
    t = next;
  }
}

/** The wall-clock time of a date in a zone: `2026-03-29 03:00` */
function wallClock(date: string, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(date));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

describe('nextFire in Europe/Paris', () => {
  const tz = 'Europe/Paris';

  it('spring forward (29 March 2026, 02:00 → 03:00): a 02:30 daily job fires once, at 03:00 local, the first instant after the gap', () => {
    const fires = firesBetween('30 2 * * *', tz, '2026-03-27T12:00:00Z', '2026-03-30T12:00:00Z');
    expect(fires).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET (+01:00)
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST, the end of the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST (+02:00)
    ]);
    expect(fires.map((f) => wallClock(f, tz))).toEqual(['2026-03-28 02:30', '2026-03-29 03:00', '2026-03-30 02:30']);
  });

  it('fall back (25 October 2026, 03:00 → 02:00): a 02:30 daily job fires once on the day, not twice', () => {
    const fires = firesBetween('30 2 * * *', tz, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z');
    // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET): only the first fires.
    expect(fires).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    expect(fires.map((f) => wallClock(f, tz))).toEqual(['2026-10-25 02:30', '2026-10-26 02:30']);
  });

  it('fall back: an hourly job fires in each real hour, so the repeated 02:00 hour gets its own fire', () => {
    const fires = firesBetween('0 * * * *', tz, '2026-10-24T22:30:00Z', '2026-10-25T02:30:00Z');
    expect(fires).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
    expect(fires.map((f) => wallClock(f, tz))).toEqual(['2026-10-25 01:00', '2026-10-25 02:00', '2026-10-25 02:00', '2026-10-25 03:00']);
  });

  it('a 09:00 weekday job stays at 09:00 local across the spring change: its UTC hour moves from 08 to 07', () => {
    const fires = firesBetween('0 9 * * 1-5', tz, '2026-03-25T12:00:00Z', '2026-03-31T12:00:00Z');
    expect(fires).toEqual([
      '2026-03-26T08:00:00.000Z', // Thursday, CET
      '2026-03-27T08:00:00.000Z', // Friday, CET
      // no Saturday, no Sunday (the change is on Sunday the 29th)
      '2026-03-30T07:00:00.000Z', // Monday, CEST
      '2026-03-31T07:00:00.000Z',
    ]);
    for (const f of fires) expect(wallClock(f, tz)).toMatch(/ 09:00$/);
  });

  it('a 09:00 weekday job stays at 09:00 local across the autumn change: its UTC hour moves from 07 to 08', () => {
    const fires = firesBetween('0 9 * * 1-5', tz, '2026-10-22T12:00:00Z', '2026-10-27T12:00:00Z');
    expect(fires).toEqual(['2026-10-23T07:00:00.000Z', '2026-10-26T08:00:00.000Z', '2026-10-27T08:00:00.000Z']);
  });
});

describe('nextFire in America/New_York', () => {
  const tz = 'America/New_York';

  it('spring forward (8 March 2026, 02:00 → 03:00): a 02:30 daily job fires once, at 03:00 local', () => {
    const fires = firesBetween('30 2 * * *', tz, '2026-03-06T12:00:00Z', '2026-03-09T12:00:00Z');
    expect(fires).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST (-05:00)
      '2026-03-08T07:00:00.000Z', // 03:00 EDT: the first instant after the gap
      '2026-03-09T06:30:00.000Z', // 02:30 EDT (-04:00)
    ]);
    expect(fires.map((f) => wallClock(f, tz))).toEqual(['2026-03-07 02:30', '2026-03-08 03:00', '2026-03-09 02:30']);
  });

  it('fall back (1 November 2026, 02:00 → 01:00): a 01:30 daily job (the repeated hour here) fires once', () => {
    const fires = firesBetween('30 1 * * *', tz, '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z');
    // 01:30 happens at 05:30Z (EDT) and at 06:30Z (EST): only the first fires.
    expect(fires).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('fall back: a 02:30 daily job (not repeated in New York) fires once, at 02:30 EST', () => {
    const fires = firesBetween('30 2 * * *', tz, '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z');
    expect(fires).toEqual(['2026-11-01T07:30:00.000Z', '2026-11-02T07:30:00.000Z']);
  });

  it('a 09:00 weekday job keeps 09:00 local: 14:00Z before the spring change, 13:00Z after', () => {
    const fires = firesBetween('0 9 * * 1-5', tz, '2026-03-05T12:00:00Z', '2026-03-10T15:00:00Z');
    expect(fires).toEqual(['2026-03-05T14:00:00.000Z', '2026-03-06T14:00:00.000Z', '2026-03-09T13:00:00.000Z', '2026-03-10T13:00:00.000Z']);
    for (const f of fires) expect(wallClock(f, tz)).toMatch(/ 09:00$/);
  });

  it('a 09:00 weekday job keeps 09:00 local across the autumn change: 13:00Z before, 14:00Z after', () => {
    const fires = firesBetween('0 9 * * 1-5', tz, '2026-10-29T14:00:00Z', '2026-11-03T15:00:00Z');
    expect(fires).toEqual(['2026-10-30T13:00:00.000Z', '2026-11-02T14:00:00.000Z', '2026-11-03T14:00:00.000Z']);
  });
});

describe('nextFire basics', () => {
  it('is strictly after the given instant', () => {
    expect(nextFire('0 9 * * *', 'UTC', new Date('2026-01-01T09:00:00Z'))?.toISOString()).toBe('2026-01-02T09:00:00.000Z');
    expect(nextFire('0 9 * * *', 'UTC', new Date('2026-01-01T08:59:59.999Z'))?.toISOString()).toBe('2026-01-01T09:00:00.000Z');
  });

  it('reads a 6-field expression as seconds first', () => {
    expect(nextFire('*/2 * * * * *', 'UTC', new Date('2026-01-01T00:00:00.500Z'))?.toISOString()).toBe('2026-01-01T00:00:02.000Z');
  });

  it('the same expression in two zones fires at different instants; no zone means the machine zone (UTC in tests)', () => {
    const after = new Date('2026-06-01T00:00:00Z');
    expect(nextFire('0 9 * * *', 'Europe/Paris', after)?.toISOString()).toBe('2026-06-01T07:00:00.000Z');
    expect(nextFire('0 9 * * *', 'America/New_York', after)?.toISOString()).toBe('2026-06-01T13:00:00.000Z');
    expect(nextFire('0 9 * * *', undefined, after)?.toISOString()).toBe('2026-06-01T09:00:00.000Z');
  });

  it('returns null for an expression that never fires (31 February)', () => {
    expect(nextFire('0 9 31 2 *', 'UTC', new Date('2026-01-01T00:00:00Z'))).toBeNull();
  });
});

describe('cronProblem', () => {
  it('accepts valid 5- and 6-field expressions, names and ranges', () => {
    for (const ok of ['0 9 * * 1-5', '*/5 * * * *', '0 9 * * MON-FRI', '*/2 * * * * *', '0 0 1 1 *']) {
      expect(cronProblem(ok, 'Europe/Paris'), ok).toBeNull();
    }
  });

  it('hour 25: names the field and the value', () => {
    const problem = cronProblem('0 25 * * *', 'Europe/Paris');
    expect(problem).not.toBeNull();
    expect(problem).toMatch(/hour/i);
    expect(problem).toContain('25');
    expect(problem).not.toMatch(/^CronPattern/);
  });

  it('minute 61 and weekday 8: names the field and the value', () => {
    expect(cronProblem('61 * * * *', undefined)).toMatch(/minute.*61/i);
    expect(cronProblem('0 9 * * 8', undefined)).toMatch(/dayOfWeek.*8/i);
  });

  it('the wrong number of fields: says how many are expected', () => {
    for (const bad of ['* * *', '0 9 * * * * * *', 'every morning', '']) {
      const problem = cronProblem(bad, undefined);
      expect(problem, JSON.stringify(bad)).not.toBeNull();
      expect(problem, JSON.stringify(bad)).toMatch(/five, six, or seven/);
    }
  });
});
