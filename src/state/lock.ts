import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeFolderBelow } from '../util/make-folder.ts';
import { STATE_DIR } from '../vault/note-store.ts';

export class LockError extends Error {
  override readonly name = 'LockError';
}

export const LOCK_FILE = `${STATE_DIR}/daemon.pid`;

/**
 * Lock files taken by this process, with the pid written in them. The file alone cannot tell a second
 * daemon in this same process from a stale lock left by an earlier process that had our pid.
 */
const heldHere = new Map<string, number>();

/** One daemon per vault: two would run every message twice. A lock left by a dead process is taken over. */
export async function acquireLock(root: string, pid = process.pid): Promise<() => Promise<void>> {
  const file = path.resolve(root, LOCK_FILE);
  if (heldHere.get(file) === pid) {
    throw new LockError(`another Scriptorium daemon in this process (pid ${pid}) is already running on ${root}; close it first`);
  }
  // Claimed before the first await, so two daemons starting at once in one process cannot both pass.
  heldHere.set(file, pid);
  try {
    await makeFolderBelow(root, path.dirname(file));
    await claim(root, file, pid);
  } catch (error) {
    heldHere.delete(file);
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (heldHere.get(file) === pid) heldHere.delete(file);
    if ((await lockHolder(root)) === pid) await rm(file, { force: true });
  };
}

/**
 * Create the lock file exclusively (`wx`): of two daemons starting together, exactly one creates it.
 * A lock whose process is gone (a crash, kill -9) is removed and claimed again; reading it back
 * afterwards catches the rare case of two processes taking over the same stale lock at once.
 */
async function claim(root: string, file: string, pid: number): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${pid}\n`, { encoding: 'utf8', flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await lockHolder(root);
      if (holder !== null && holder !== pid) {
        throw new LockError(`another Scriptorium daemon (pid ${holder}) is already running on ${root}; stop it first (Ctrl-C in its terminal, or kill ${holder})`);
      }
      // Stale (its process is gone) or our own pid reused: take it over.
      await rm(file, { force: true });
      continue;
    }
    const written = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (written === pid) return;
  }
  const holder = await lockHolder(root);
  throw new LockError(`could not take the lock on ${root}${holder ? ` (pid ${holder} holds it)` : ''}; try again`);
}

/** The pid of a live daemon holding the vault, or null. */
export async function lockHolder(root: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(path.join(root, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return isAlive(pid) ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
