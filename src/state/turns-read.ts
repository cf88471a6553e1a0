import { constants } from 'node:fs';
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LEGACY_TURNS_FILE, monthEnd, monthFile, monthStart, monthOfFileName, parseTurnLine, TURNS_DIR, type TurnLogEntry } from './turns-log.ts';

/** How much of a file's end is read at a time. */
const CHUNK_BYTES = 64 * 1024;
/** A line longer than this is not a turn of ours (a turn's line is well under a kilobyte): it is skipped unread. */
export const MAX_LINE_BYTES = 1024 * 1024;
/**
 * Lines are appended as turns end, so a file is in time order but for a turn whose notes were written
 * late (replayed at the next start after a crash): reading goes on this far past `since` for those.
 */
const ORDER_SLACK_MS = 24 * 3_600_000;

/** A file of turns: a month's (its month known), or the single file of older versions. */
interface Source {
  file: string;
  month: string | undefined;
}

/** The month files, newest first, then the legacy file: newest turns first, as the readers want them. */
async function sources(root: string): Promise<Source[]> {
  const dir = path.join(root, TURNS_DIR);
  let months: string[] = [];
  try {
    // A link in the folder's place is not followed: nothing outside the vault is read as turns.
    if ((await lstat(dir)).isDirectory()) months = (await readdir(dir)).map(monthOfFileName).filter((m): m is string => m !== undefined);
  } catch {
    // No month yet.
  }
  months.sort().reverse();
  return [...months.map((month) => ({ file: path.join(root, monthFile(month)), month })), { file: path.join(root, LEGACY_TURNS_FILE), month: undefined }];
}

/**
 * A regular file of the vault, opened for reading, or null: absent, a link (not followed), a FIFO or a
 * device (O_NONBLOCK: opening a FIFO with no writer must not hang), a folder.
 */
export async function openTurnsFile(file: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if ((await handle.stat()).isFile()) return handle;
  } catch {
    // unreadable: as absent
  }
  await handle.close();
  return null;
}

/**
 * Calls `take` with each line of the file, last line first, until it returns true (then true is
 * returned). Only as much of the file's end as that takes is read.
 */
async function readBackwards(file: string, take: (line: Buffer) => boolean): Promise<boolean> {
  const handle = await openTurnsFile(file);
  if (!handle) return false;
  try {
    let position = (await handle.stat()).size;
    // The end of a line whose start lies in the chunk before; split on the newline byte, which never
    // occurs inside a UTF-8 character, so a character cut by a chunk's edge is whole again here.
    let rest = Buffer.alloc(0);
    // Inside a line longer than MAX_LINE_BYTES: its bytes are dropped up to the newline before it.
    let overlong = false;
    while (position > 0) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      const buffer = overlong ? chunk.subarray(0, bytesRead) : Buffer.concat([chunk.subarray(0, bytesRead), rest]);
      let end = buffer.length;
      if (overlong) {
        const newline = buffer.lastIndexOf(0x0a);
        if (newline === -1) continue;
        end = newline;
        overlong = false;
      }
      // (A negative start would make lastIndexOf count from the end again.)
      for (let newline = end > 0 ? buffer.lastIndexOf(0x0a, end - 1) : -1; newline !== -1; newline = end > 0 ? buffer.lastIndexOf(0x0a, end - 1) : -1) {
        if (take(buffer.subarray(newline + 1, end))) return true;
        end = newline;
      }
      rest = buffer.subarray(0, end);
      if (rest.length > MAX_LINE_BYTES) {
        overlong = true;
        rest = Buffer.alloc(0);
      }
    }
    return !overlong && take(rest);
  } finally {
    await handle.close();
  }
}

/**
 * Calls `visit` with the turns recorded since `since`, and at least the last `atLeast`, newest first
 * (but for the order slack). Files are read newest first, each from its end: a month wholly before
 * `since` is not opened once `atLeast` are found, so what a start needs (this month, for the budgets)
 * costs the same however long the vault has lived. Nothing is held here: a start keeps what it needs.
 */
export async function visitTurnsSince(root: string, since: Date, atLeast: number, visit: (entry: TurnLogEntry, at: number) => void): Promise<void> {
  const stopBefore = since.getTime() - ORDER_SLACK_MS;
  let count = 0;
  const take = (line: Buffer): boolean => {
    if (line.length === 0) return false;
    const entry = parseTurnLine(line.toString('utf8'));
    if (!entry) return false;
    const at = Date.parse(entry.at);
    visit(entry, at);
    return ++count >= atLeast && at < stopBefore;
  };
  for (const source of await sources(root)) {
    if (source.month !== undefined && count >= atLeast && monthEnd(source.month) <= stopBefore) break;
    if (await readBackwards(source.file, take)) break;
  }
}

/** As {@link visitTurnsSince}, the turns oldest first (across files: the legacy file may hold the start of a month whose file holds its end). */
export async function readTurnsSince(root: string, since: Date, atLeast = 0): Promise<TurnLogEntry[]> {
  const found: Array<{ entry: TurnLogEntry; at: number }> = [];
  await visitTurnsSince(root, since, atLeast, (entry, at) => found.push({ entry, at }));
  return oldestFirst(found);
}

/** Oldest first; the same instant keeps the order of reading reversed (the order of writing). */
export function oldestFirst(found: Array<{ entry: TurnLogEntry; at: number }>): TurnLogEntry[] {
  return found
    .reverse()
    .sort((a, b) => a.at - b.at)
    .map((f) => f.entry);
}

/** The last `limit` turns recorded, oldest first, from however many month files that takes. */
export async function readRecentTurns(root: string, limit: number): Promise<TurnLogEntry[]> {
  if (limit <= 0) return [];
  // A `since` after every turn: reading stops as soon as `limit` turns are found.
  return (await readTurnsSince(root, new Date(8.64e15), limit)).slice(-limit);
}

/**
 * The turns recorded in `month` (`2026-06`) and a day on either side of it, oldest first: that month's
 * file and its neighbours' (and the legacy file's part of it), nothing else. For `explain` of an old note.
 */
export async function readTurnsOfMonth(root: string, month: string): Promise<TurnLogEntry[]> {
  const from = monthStart(month) - ORDER_SLACK_MS;
  const to = monthEnd(month) + ORDER_SLACK_MS;
  const found: Array<{ entry: TurnLogEntry; at: number }> = [];
  for (const source of await sources(root)) {
    if (source.month !== undefined && (monthEnd(source.month) <= from || monthStart(source.month) >= to)) continue;
    await readBackwards(source.file, (line) => {
      const entry = line.length > 0 ? parseTurnLine(line.toString('utf8')) : undefined;
      if (!entry) return false;
      const at = Date.parse(entry.at);
      if (at >= from && at < to) found.push({ entry, at });
      // Earlier lines are older still (but for the order slack).
      return at < from - ORDER_SLACK_MS;
    });
  }
  return oldestFirst(found);
}
