import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTurnsSince, TURNS_FILE, type TurnLogEntry } from '../../../src/state/turns-log.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-turns-'));
  await mkdir(path.join(root, '.scriptorium'));
});

afterEach(() => rm(root, { recursive: true, force: true }));

const entry = (at: string, message = `Inbox/${at}.md`): TurnLogEntry => ({
  at,
  agent: 'a',
  message,
  thread: 'Threads/a.md',
  reply: '',
  ok: true,
  error: undefined,
  costUsd: 0.01,
  durationMs: 1,
  session: undefined,
});

/** One turn a day from `first`, for `days` days. */
function daily(first: string, days: number): TurnLogEntry[] {
  const start = new Date(first).getTime();
  return Array.from({ length: days }, (_, i) => entry(new Date(start + i * 86_400_000).toISOString()));
}

const write = (entries: TurnLogEntry[], tail = '') => writeFile(path.join(root, TURNS_FILE), entries.map((e) => JSON.stringify(e) + '\n').join('') + tail);

describe('reading turns.jsonl from its end', () => {
  it('gives the turns since a date, oldest first, and no older ones than it must', async () => {
    await write(daily('2026-01-01T12:00:00Z', 200));
    const read = await readTurnsSince(root, new Date('2026-07-01T00:00:00Z'));
    // July 1st to 19th; reading goes on a day past the date (for lines appended late), up to the first
    // line older than that, and stops there.
    expect(read.map((e) => e.at)).toEqual(daily('2026-06-29T12:00:00Z', 21).map((e) => e.at));
  });

  it('gives at least the last N, however old', async () => {
    await write(daily('2025-01-01T12:00:00Z', 30));
    const read = await readTurnsSince(root, new Date('2026-07-01T00:00:00Z'), 5);
    expect(read.map((e) => e.at)).toEqual(daily('2025-01-01T12:00:00Z', 30).slice(-5).map((e) => e.at));
  });

  it('reads lines across its read chunks whole, multi-byte characters too, and skips a line cut short', async () => {
    // Names long enough that lines straddle every 64 KB boundary somewhere.
    const entries = Array.from({ length: 400 }, (_, i) => entry(`2026-06-01T10:${String(i % 60).padStart(2, '0')}:00Z`, `Inbox/${'é—📎'.repeat(100)} ${i}.md`));
    await write(entries, '{"at":"2026-06-01T11:00:00Z","agent":"a","mess');
    const read = await readTurnsSince(root, new Date('2026-05-01T00:00:00Z'));
    expect(read).toEqual(entries);
  });

  it('no file: no turns', async () => {
    expect(await readTurnsSince(path.join(root, 'nowhere'), new Date(0), 10)).toEqual([]);
  });
});
