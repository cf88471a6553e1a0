import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TurnsFollower } from '../../../src/state/turns-follower.ts';
import { LEGACY_TURNS_FILE, monthFile, TURNS_DIR, type TurnLogEntry } from '../../../src/state/turns-log.ts';
import { MAX_LINE_BYTES } from '../../../src/state/turns-read.ts';

let root: string;
let now: Date;
const clock = { now: () => now };

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-follow-'));
  await mkdir(path.join(root, TURNS_DIR), { recursive: true });
});

afterEach(() => rm(root, { recursive: true, force: true }));

const entry = (at: string): TurnLogEntry => ({ at, agent: 'a', message: `Inbox/${at}.md`, thread: 'Threads/a.md', reply: '', ok: true, error: undefined, costUsd: 0.01, durationMs: 1, session: undefined });
const line = (at: string) => JSON.stringify(entry(at)) + '\n';
const append = (month: string, text: string) => appendFile(path.join(root, monthFile(month)), text);
const ats = (entries: TurnLogEntry[]) => entries.map((e) => e.at);

describe('following turns without the API (tail)', () => {
  it('shows only what is appended after it starts, a line once it is whole', async () => {
    now = new Date('2026-06-15T10:00:00Z');
    await append('2026-06', line('2026-06-15T09:00:00Z'));
    const follower = new TurnsFollower(root, clock);
    await follower.start();
    expect(await follower.poll()).toEqual([]);
    const next = line('2026-06-15T10:01:00Z');
    await append('2026-06', next.slice(0, 20));
    expect(await follower.poll()).toEqual([]);
    await append('2026-06', next.slice(20) + 'not a turn\n' + line('2026-06-15T10:02:00Z'));
    expect(ats(await follower.poll())).toEqual(['2026-06-15T10:01:00Z', '2026-06-15T10:02:00Z']);
  });

  it("follows across the month's change: last month's late turns and the new month's file", async () => {
    now = new Date('2026-06-30T23:59:00Z');
    const follower = new TurnsFollower(root, clock);
    await follower.start();
    await append('2026-06', line('2026-06-30T23:59:30Z'));
    expect(ats(await follower.poll())).toEqual(['2026-06-30T23:59:30Z']);
    now = new Date('2026-07-01T00:00:30Z');
    // A turn that ended just before midnight, recorded after it; and the first of the new month.
    await append('2026-06', line('2026-06-30T23:59:59Z'));
    await append('2026-07', line('2026-07-01T00:00:20Z'));
    expect(ats(await follower.poll())).toEqual(['2026-06-30T23:59:59Z', '2026-07-01T00:00:20Z']);
    now = new Date('2026-07-03T00:00:00Z');
    await append('2026-07', line('2026-07-02T23:00:00Z'));
    expect(ats(await follower.poll())).toEqual(['2026-07-02T23:00:00Z']);
  });

  it('follows the legacy file too (a daemon of an older version still running)', async () => {
    now = new Date('2026-06-15T10:00:00Z');
    await writeFile(path.join(root, LEGACY_TURNS_FILE), line('2026-06-15T09:00:00Z'));
    const follower = new TurnsFollower(root, clock);
    await follower.start();
    await appendFile(path.join(root, LEGACY_TURNS_FILE), line('2026-06-15T10:00:10Z'));
    expect(ats(await follower.poll())).toEqual(['2026-06-15T10:00:10Z']);
  });

  it('skips a line longer than the limit without holding it, and goes on after it', async () => {
    now = new Date('2026-06-15T10:00:00Z');
    const follower = new TurnsFollower(root, clock);
    await follower.start();
    await append('2026-06', 'x'.repeat(MAX_LINE_BYTES + 10));
    expect(await follower.poll()).toEqual([]);
    await append('2026-06', `${'y'.repeat(100)}","agent":"a","message":"m"}\n` + line('2026-06-15T10:05:00Z'));
    expect(ats(await follower.poll())).toEqual(['2026-06-15T10:05:00Z']);
  });
});
