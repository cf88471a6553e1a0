import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { NoteStore } from '../vault/note-store.ts';
import { STATE_DIR } from '../vault/note-store.ts';

/** What `scriptorium status` reads while the daemon runs: `.scriptorium/status.json`. */
export interface DaemonStatus {
  pid: number;
  vault: string;
  startedAt: string;
  updatedAt: string;
  halted: boolean;
  haltReason?: string | undefined;
  concurrency: number;
  agents: AgentStatus[];
}

export interface AgentStatus {
  name: string;
  path: string;
  state: 'idle' | 'working' | 'queued' | 'error';
  queued: number;
  error: string | undefined;
  description: string | undefined;
  mode: string | undefined;
  enabled?: boolean | undefined;
  nextRun?: string | undefined;
  /** Why its messages wait (a budget or rate limit). */
  hold?: string | undefined;
  lastRun?: string | undefined;
}

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

export const STATUS_FILE = `${STATE_DIR}/status.json`;
export const TURNS_FILE = `${STATE_DIR}/turns.jsonl`;

export async function writeStatus(store: NoteStore, status: DaemonStatus): Promise<void> {
  await store.write(STATUS_FILE, JSON.stringify(status, null, 2) + '\n');
}

export async function appendTurn(root: string, entry: TurnLogEntry): Promise<void> {
  const file = path.join(root, TURNS_FILE);
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, JSON.stringify(entry) + '\n', 'utf8');
}

export async function readStatus(root: string): Promise<DaemonStatus | null> {
  try {
    return JSON.parse(await readFile(path.join(root, STATUS_FILE), 'utf8')) as DaemonStatus;
  } catch {
    return null;
  }
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
