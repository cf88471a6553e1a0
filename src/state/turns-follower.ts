import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../util/clock.ts';
import { LEGACY_TURNS_FILE, monthFile, monthOf, monthOfFileName, parseTurnLine, TURNS_DIR, type TurnLogEntry } from './turns-log.ts';
import { MAX_LINE_BYTES, openTurnsFile } from './turns-read.ts';

/** At most this much of one file is read per poll: a file that jumps by gigabytes is caught up on bit by bit. */
const MAX_READ_BYTES = 4 * 1024 * 1024;
/** A turn lands in its own month's file, which may be last month's for a turn that ended just before midnight. */
const LATE_MS = 24 * 3_600_000;

interface Followed {
  offset: number;
  /** The start of a line whose end is not written yet. */
  partial: Buffer;
  /** Inside a line longer than MAX_LINE_BYTES: dropped up to its newline. */
  overlong: boolean;
}

/**
 * New turns as they are appended, for `tail` without the HTTP API: the month files of this month and of
 * the day before (so the month's change is followed, and a turn finished just before it is not missed),
 * and the legacy file (an older daemon may still be running). What was there when following began is
 * not shown; a file that appears later is shown from its start.
 */
export class TurnsFollower {
  readonly #root: string;
  readonly #clock: Clock;
  readonly #files = new Map<string, Followed>();

  constructor(root: string, clock: Clock) {
    this.#root = root;
    this.#clock = clock;
  }

  /** From now on: the files as they are now are taken as seen. */
  async start(): Promise<void> {
    for (const file of await this.#watched()) {
      this.#files.set(file, { offset: await sizeOf(file), partial: Buffer.alloc(0), overlong: false });
    }
  }

  /** The turns appended since the last poll, file by file, in the order they were written. */
  async poll(): Promise<TurnLogEntry[]> {
    const turns: TurnLogEntry[] = [];
    for (const file of await this.#watched()) {
      let followed = this.#files.get(file);
      if (!followed) this.#files.set(file, (followed = { offset: 0, partial: Buffer.alloc(0), overlong: false }));
      turns.push(...(await readNew(file, followed)));
    }
    return turns;
  }

  async #watched(): Promise<string[]> {
    const now = this.#clock.now();
    const months = new Set([monthOf(new Date(now.getTime() - LATE_MS)), monthOf(now)]);
    // Files followed before stay followed (a late turn of last month), as long as they are in the folder.
    let names: string[] = [];
    try {
      names = await readdir(path.join(this.#root, TURNS_DIR));
    } catch {
      // none yet
    }
    const files = new Set<string>();
    for (const name of names) {
      const month = monthOfFileName(name);
      if (month === undefined) continue;
      const file = path.join(this.#root, monthFile(month));
      if (months.has(month) || this.#files.has(file)) files.add(file);
    }
    for (const month of months) files.add(path.join(this.#root, monthFile(month)));
    return [path.join(this.#root, LEGACY_TURNS_FILE), ...[...files].sort()];
  }
}

async function sizeOf(file: string): Promise<number> {
  const handle = await openTurnsFile(file);
  if (!handle) return 0;
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

async function readNew(file: string, followed: Followed): Promise<TurnLogEntry[]> {
  const handle = await openTurnsFile(file);
  if (!handle) return [];
  const turns: TurnLogEntry[] = [];
  try {
    const size = (await handle.stat()).size;
    if (size < followed.offset) Object.assign(followed, { offset: 0, partial: Buffer.alloc(0), overlong: false }); // replaced
    const length = Math.min(size - followed.offset, MAX_READ_BYTES);
    if (length <= 0) return [];
    const chunk = Buffer.alloc(length);
    const { bytesRead } = await handle.read(chunk, 0, length, followed.offset);
    followed.offset += bytesRead;
    let buffer = Buffer.concat([followed.partial, chunk.subarray(0, bytesRead)]);
    let start = 0;
    for (let newline = buffer.indexOf(0x0a); newline !== -1; newline = buffer.indexOf(0x0a, start)) {
      if (!followed.overlong) {
        const entry = parseTurnLine(buffer.subarray(start, newline).toString('utf8'));
        if (entry) turns.push(entry);
      }
      followed.overlong = false;
      start = newline + 1;
    }
    buffer = buffer.subarray(start);
    if (buffer.length > MAX_LINE_BYTES) {
      followed.overlong = true;
      buffer = Buffer.alloc(0);
    }
    followed.partial = Buffer.from(buffer);
  } finally {
    await handle.close();
  }
  return turns;
}
