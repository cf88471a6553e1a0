import { appendFile, readFile } from 'node:fs/promises';
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
