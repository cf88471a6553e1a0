import { constants } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { makeFolderBelow } from '../util/make-folder.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import { isInside, realPathOf } from '../vault/real-path.ts';

/**
 * One finished turn, appended to `.scriptorium/turns/<month>.jsonl` (the daemon's own record; the notes
 * are the user's).
 */
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

/**
 * One file per local month of the turn's `at` (`2026-12.jsonl`), the months the ledger counts: a start
 * reads this month's file (and the end of last month's when it must), however long the vault has lived.
 */
export const TURNS_DIR = `${STATE_DIR}/turns`;
/**
 * The single file of older versions. Never written again and never moved: it is read as one more
 * (oldest) source, so the months it holds stay readable and an upgrade rewrites nothing.
 */
export const LEGACY_TURNS_FILE = `${STATE_DIR}/turns.jsonl`;

const MONTH_FILE = /^(\d{4})-(0[1-9]|1[0-2])\.jsonl$/;

/** `2026-12`: the local month of `date`, as the ledger and the dashboard count months. */
export function monthOf(date: Date): string {
  return `${String(date.getFullYear()).padStart(4, '0')}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

/** The vault path of a month's file. */
export function monthFile(month: string): string {
  return `${TURNS_DIR}/${month}.jsonl`;
}

/** The month a file in TURNS_DIR holds, or undefined for any other name (never read). */
export function monthOfFileName(name: string): string | undefined {
  return MONTH_FILE.test(name) ? name.slice(0, 7) : undefined;
}

/** The first instant of `month` (local time). */
export function monthStart(month: string): number {
  return new Date(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1, 1).getTime();
}

/** The first instant of the month after `month` (local time): every turn in that month's file is older. */
export function monthEnd(month: string): number {
  return new Date(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1).getTime();
}

/**
 * Appends the turn to its month's file. The folders and the file must lie in the vault: a symbolic link
 * on the way (a vault synced from elsewhere) would have turns appended to whatever it points at. Checked
 * before any folder is made, so not even a folder is made outside.
 */
export async function appendTurn(root: string, entry: TurnLogEntry): Promise<void> {
  const at = new Date(entry.at);
  const file = path.join(root, monthFile(monthOf(Number.isFinite(at.getTime()) ? at : new Date())));
  const dir = path.dirname(file);
  const realDir = realPathOf(dir);
  if (!isInside(realDir, realPathOf(root))) throw new Error(`${TURNS_DIR} leads outside the vault through a symbolic link (to ${realDir}); the turn was not recorded`);
  await makeFolderBelow(root, dir);
  // O_NOFOLLOW: a link in the file's place fails (ELOOP) rather than being followed. One write of one
  // line: a crash leaves at most a torn last line, which readers skip.
  await appendFile(file, JSON.stringify(entry) + '\n', { encoding: 'utf8', mode: 0o644, flag: constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW });
}

/** A recorded line as a turn, or undefined: anything else in the file (hand edits, garbage) is skipped. */
export function parseTurnLine(text: string): TurnLogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // a line cut short by a crash, or not ours
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.at !== 'string' || !Number.isFinite(Date.parse(v.at)) || typeof v.agent !== 'string' || typeof v.message !== 'string') return undefined;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const number = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return {
    at: v.at,
    agent: v.agent,
    message: v.message,
    thread: str(v.thread) ?? '',
    reply: str(v.reply) ?? '',
    ok: v.ok === true,
    error: str(v.error),
    costUsd: number(v.costUsd),
    durationMs: number(v.durationMs),
    session: str(v.session),
  };
}
