import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STATE_DIR } from '../vault/note-store.ts';

export class LockError extends Error {
  override readonly name = 'LockError';
}

const LOCK_FILE = `${STATE_DIR}/daemon.pid`;

/** One daemon per vault: two would run every message twice. A lock left by a dead process is taken over. */
export async function acquireLock(root: string, pid = process.pid): Promise<() => Promise<void>> {
  const file = path.join(root, LOCK_FILE);
  await mkdir(path.dirname(file), { recursive: true });
  const holder = await lockHolder(root);
  if (holder !== null && holder !== pid) {
    throw new LockError(`another Scriptorium daemon (pid ${holder}) is already running on ${root}; stop it first (Ctrl-C in its terminal, or kill ${holder})`);
  }
  await writeFile(file, `${pid}\n`, 'utf8');
  return async () => {
    if ((await lockHolder(root)) === pid) await rm(file, { force: true });
  };
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
