import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEGACY_TURNS_FILE, monthFile, TURNS_DIR, type TurnLogEntry } from '../../../src/state/turns-log.ts';
import { MAX_LINE_BYTES, readRecentTurns, readTurnsOfMonth, readTurnsSince } from '../../../src/state/turns-read.ts';
import { turnEntry } from '../../helpers/turn-entry.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-turns-'));
  await mkdir(path.join(root, TURNS_DIR), { recursive: true });
});

afterEach(() => rm(root, { recursive: true, force: true }));

const entry = turnEntry;

/** One turn a day from `first`, for `days` days. */
function daily(first: string, days: number): TurnLogEntry[] {
  const start = new Date(first).getTime();
  return Array.from({ length: days }, (_, i) => entry(new Date(start + i * 86_400_000).toISOString()));
}

const lines = (entries: TurnLogEntry[]) => entries.map((e) => JSON.stringify(e) + '\n').join('');
const writeLegacy = (entries: TurnLogEntry[], tail = '') => writeFile(path.join(root, LEGACY_TURNS_FILE), lines(entries) + tail);
/** As the daemon writes them: each turn in its local month's file (the tests run in UTC). */
async function writeMonths(entries: TurnLogEntry[], tail = ''): Promise<void> {
  const byMonth = new Map<string, TurnLogEntry[]>();
  for (const e of entries) byMonth.set(e.at.slice(0, 7), [...(byMonth.get(e.at.slice(0, 7)) ?? []), e]);
  for (const [month, list] of byMonth) await writeFile(path.join(root, monthFile(month)), lines(list) + tail);
}
const ats = (entries: TurnLogEntry[]) => entries.map((e) => e.at);

describe('reading the legacy turns.jsonl from its end', () => {
  it('gives the turns since a date, oldest first, and no older ones than it must', async () => {
    await writeLegacy(daily('2026-01-01T12:00:00Z', 200));
    const read = await readTurnsSince(root, new Date('2026-07-01T00:00:00Z'));
    // July 1st to 19th; reading goes on a day past the date (for lines appended late), up to the first
    // line older than that, and stops there.
    expect(ats(read)).toEqual(ats(daily('2026-06-29T12:00:00Z', 21)));
  });

  it('gives at least the last N, however old', async () => {
    await writeLegacy(daily('2025-01-01T12:00:00Z', 30));
    const read = await readTurnsSince(root, new Date('2026-07-01T00:00:00Z'), 5);
    expect(ats(read)).toEqual(ats(daily('2025-01-01T12:00:00Z', 30).slice(-5)));
  });

  it('reads lines across its read chunks whole, multi-byte characters too, and skips a line cut short', async () => {
    // Names long enough that lines straddle every 64 KB boundary somewhere.
    const entries = Array.from({ length: 400 }, (_, i) => entry(`2026-06-01T10:${String(i % 60).padStart(2, '0')}:00Z`, `Inbox/${'é—📎'.repeat(100)} ${i}.md`));
    await writeLegacy(entries, '{"at":"2026-06-01T11:00:00Z","agent":"a","mess');
    const read = await readTurnsSince(root, new Date('2026-05-01T00:00:00Z'));
    // Oldest first (a stable order for turns of the same second).
    expect(new Set(read.map((e) => e.message))).toEqual(new Set(entries.map((e) => e.message)));
    expect(read).toHaveLength(400);
  });

  it('no file: no turns', async () => {
    expect(await readTurnsSince(path.join(root, 'nowhere'), new Date(0), 10)).toEqual([]);
  });
});

describe('reading the month files', () => {
  it('gives the turns since a date from the files that hold them, up to the first older line', async () => {
    await writeMonths(daily('2026-01-01T12:00:00Z', 200)); // to July 19th
    const read = await readTurnsSince(root, new Date('2026-07-01T00:00:00Z'), 3);
    expect(ats(read)).toEqual(ats(daily('2026-06-29T12:00:00Z', 21)));
  });

  it("a start reads this month's file and does not open an older month once it has enough", async () => {
    await writeMonths([...daily('2026-04-10T12:00:00Z', 3), ...daily('2026-07-01T12:00:00Z', 4)]);
    expect(ats(await readTurnsSince(root, new Date('2026-07-01T00:00:00Z'), 2))).toEqual(ats(daily('2026-07-01T12:00:00Z', 4)));
    // Fewer this month than asked for: the older month's end makes up the rest.
    expect(ats(await readTurnsSince(root, new Date('2026-07-01T00:00:00Z'), 6))).toEqual(ats(daily('2026-04-11T12:00:00Z', 2)).concat(ats(daily('2026-07-01T12:00:00Z', 4))));
  });

  it("on the first of the month, the hour before and the last turns come from last month's end", async () => {
    await writeMonths([...daily('2026-06-01T12:00:00Z', 30), entry('2026-06-30T23:30:00.000Z'), entry('2026-07-01T00:10:00.000Z')]);
    // What the daemon asks at 00:20 on July 1st: since 23:20 the day before, and the last 5.
    const read = await readTurnsSince(root, new Date('2026-06-30T23:20:00Z'), 5);
    expect(ats(read).slice(-2)).toEqual(['2026-06-30T23:30:00.000Z', '2026-07-01T00:10:00.000Z']);
    expect(read.length).toBeGreaterThanOrEqual(5);
    expect(read.every((e) => e.at >= '2026-06-26')).toBe(true);
  });

  it('the legacy file holds the start of the month the upgrade came in, its month file the rest', async () => {
    await writeLegacy([...daily('2026-05-20T12:00:00Z', 20)]); // to June 8th
    await writeMonths(daily('2026-06-09T12:00:00Z', 5));
    const read = await readTurnsSince(root, new Date('2026-06-01T00:00:00Z'));
    expect(ats(read)).toEqual(ats(daily('2026-05-30T12:00:00Z', 15)));
    // Months never rotated are read from the legacy file alone.
    expect(ats(await readTurnsOfMonth(root, '2026-05'))).toEqual(ats(daily('2026-05-20T12:00:00Z', 13)));
  });

  it('the last N turns for status cross month files (and the legacy file) newest first', async () => {
    await writeLegacy(daily('2026-04-01T12:00:00Z', 3));
    await writeMonths([entry('2026-05-31T12:00:00.000Z'), entry('2026-06-01T12:00:00.000Z')]);
    expect(ats(await readRecentTurns(root, 4))).toEqual(['2026-04-02T12:00:00.000Z', '2026-04-03T12:00:00.000Z', '2026-05-31T12:00:00.000Z', '2026-06-01T12:00:00.000Z']);
    expect(ats(await readRecentTurns(root, 1))).toEqual(['2026-06-01T12:00:00.000Z']);
  });

  it("an old month is read from its file and its neighbours', for explain", async () => {
    await writeMonths([...daily('2026-01-25T12:00:00Z', 40), entry('2026-07-01T12:00:00.000Z')]);
    const read = await readTurnsOfMonth(root, '2026-02');
    // February, and a day either side.
    expect(read[0]!.at).toBe('2026-01-31T12:00:00.000Z');
    expect(read.at(-1)!.at).toBe('2026-03-01T12:00:00.000Z');
    expect(read).toHaveLength(30);
  });
});

describe('hostile turn files', () => {
  it('lines that are not turns are skipped: not JSON, null, an array, a turn without a date or with numbers for text', async () => {
    const good = entry('2026-06-02T10:00:00.000Z');
    await writeFile(
      path.join(root, monthFile('2026-06')),
      ['not json', 'null', '[1,2]', '42', '{"agent":"a","message":"m"}', '{"at":"never","agent":"a","message":"m"}', '{"at":"2026-06-01T10:00:00Z","agent":1,"message":"m"}', JSON.stringify(good), '{"at":"2026-06-03T10:00:00Z","agent":"a","message":"m","costUsd":"lots","durationMs":null}'].join('\n') + '\n',
    );
    const read = await readTurnsSince(root, new Date('2026-06-01T00:00:00Z'));
    expect(read).toEqual([good, { ...entry('2026-06-03T10:00:00Z', 'm'), thread: '', ok: false, costUsd: 0, durationMs: 0 }]);
  });

  it('a line longer than the limit is skipped without being held whole, and the lines around it are read', async () => {
    const before = entry('2026-06-01T10:00:00.000Z');
    const after = entry('2026-06-02T10:00:00.000Z');
    const huge = `{"at":"2026-06-01T11:00:00Z","agent":"a","message":"${'x'.repeat(3 * MAX_LINE_BYTES)}"}`;
    await writeFile(path.join(root, monthFile('2026-06')), lines([before]) + huge + '\n' + lines([after]));
    expect(await readTurnsSince(root, new Date('2026-06-01T00:00:00Z'))).toEqual([before, after]);
    // A huge last line with no newline at all.
    await writeFile(path.join(root, monthFile('2026-06')), lines([before]) + 'y'.repeat(2 * MAX_LINE_BYTES));
    expect(await readTurnsSince(root, new Date('2026-06-01T00:00:00Z'))).toEqual([before]);
  });

  it('a month file or the legacy file that is a symbolic link, a folder or a FIFO is not read; odd names are ignored', async () => {
    const outside = path.join(root, 'outside.jsonl');
    await writeFile(outside, lines([entry('2026-06-05T10:00:00.000Z')]));
    await symlink(outside, path.join(root, monthFile('2026-06')));
    await symlink(outside, path.join(root, LEGACY_TURNS_FILE));
    await mkdir(path.join(root, monthFile('2026-05')));
    execFileSync('mkfifo', [path.join(root, monthFile('2026-04'))]);
    for (const odd of ['2026-13.jsonl', '2026-6.jsonl', '..jsonl', '2026-06.jsonl.bak', 'x2026-06.jsonl']) await writeFile(path.join(root, TURNS_DIR, odd), lines([entry('2026-06-06T10:00:00.000Z')]));
    expect(await readTurnsSince(root, new Date('2026-01-01T00:00:00Z'), 10)).toEqual([]);
    expect(await readRecentTurns(root, 10)).toEqual([]);
    expect(await readTurnsOfMonth(root, '2026-06')).toEqual([]);
  });

  it('a turns folder that is a symbolic link is not read', async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-elsewhere-'));
    try {
      await writeFile(path.join(elsewhere, '2026-06.jsonl'), lines([entry('2026-06-05T10:00:00.000Z')]));
      await rm(path.join(root, TURNS_DIR), { recursive: true });
      await symlink(elsewhere, path.join(root, TURNS_DIR));
      expect(await readTurnsSince(root, new Date('2026-01-01T00:00:00Z'), 10)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
