import { appendFile, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { makeFolderBelow } from '../util/make-folder.ts';
import { STATE_DIR } from '../vault/note-store.ts';

/** One finished turn, appended to `.scriptorium/turns.jsonl` (the daemon's own record; the notes are the user's). */
export interface TurnLogEntry {
  at: string;
  agent: string;
  message: string;
  thread: string;
  reply: string;
  ok: boolean;
  error: string | undefined;
  costUsd: number;
  durationMs: number;
  session: string | undefined;
}

export const TURNS_FILE = `${STATE_DIR}/turns.jsonl`;

export async function appendTurn(root: string, entry: TurnLogEntry): Promise<void> {
  const file = path.join(root, TURNS_FILE);
  await makeFolderBelow(root, path.dirname(file));
  await appendFile(file, JSON.stringify(entry) + '\n', 'utf8');
}

export async function readRecentTurns(root: string, limit: number): Promise<TurnLogEntry[]> {
  let text: string;
  try {
    text = await readFile(path.join(root, TURNS_FILE), 'utf8');
  } catch {
    return [];
  }
  const entries: TurnLogEntry[] = [];
  for (const line of text.trim().split('\n').slice(-limit)) {
    try {
      entries.push(JSON.parse(line) as TurnLogEntry);
    } catch {
      // A line cut short by a crash: skip it.
    }
  }
  return entries;
}

/** How much of the file's end is read at a time. */
const CHUNK_BYTES = 64 * 1024;
/**
 * Lines are appended as turns end, so the file is in time order but for a turn whose notes were written
 * late (replayed at the next start after a crash): reading goes on this far past `since` for those.
 */
const ORDER_SLACK_MS = 24 * 3_600_000;

/**
 * The turns recorded since `since`, and at least the last `atLeast`, oldest first. Only that end of
 * the file is read, from the back: the file only grows, and what a start needs (this month, for the
 * budgets) stays the same size however long the vault has been in use.
 */
export async function readTurnsSince(root: string, since: Date, atLeast = 0): Promise<TurnLogEntry[]> {
  let handle: FileHandle;
  try {
    handle = await open(path.join(root, TURNS_FILE), 'r');
  } catch {
    return [];
  }
  const stopBefore = since.getTime() - ORDER_SLACK_MS;
  const newestFirst: TurnLogEntry[] = [];
  /** Takes one line; true once enough has been read. */
  const take = (line: Buffer): boolean => {
    const text = line.toString('utf8').trim();
    if (!text) return false;
    let entry: TurnLogEntry;
    try {
      entry = JSON.parse(text) as TurnLogEntry;
    } catch {
      return false; // a line cut short by a crash
    }
    newestFirst.push(entry);
    return newestFirst.length >= atLeast && Date.parse(entry.at) < stopBefore;
  };
  try {
    let position = (await handle.stat()).size;
    // The end of a line whose start lies in the chunk before; split on the newline byte, which never
    // occurs inside a UTF-8 character, so a character cut by a chunk's edge is whole again here.
    let rest = Buffer.alloc(0);
    while (position > 0) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      const buffer = Buffer.concat([chunk.subarray(0, bytesRead), rest]);
      let end = buffer.length;
      // (A negative start would make lastIndexOf count from the end again.)
      for (let newline = buffer.lastIndexOf(0x0a, end - 1); end > 0 && newline !== -1; newline = buffer.lastIndexOf(0x0a, end - 1)) {
        if (take(buffer.subarray(newline + 1, end))) return newestFirst.reverse();
        end = newline;
      }
      rest = buffer.subarray(0, end);
    }
    take(rest);
  } finally {
    await handle.close();
  }
  return newestFirst.reverse();
}
