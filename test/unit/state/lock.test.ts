import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, LockError, lockHolder } from '../../../src/state/lock.ts';

let root: string;
const lockFile = () => path.join(root, '.scriptorium', 'daemon.pid');

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-lock-'));
  await mkdir(path.join(root, '.scriptorium'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A pid that belonged to a process that has exited (as after a crash). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('one daemon per vault', () => {
  it('a lock left by a process that died is taken over', async () => {
    await writeFile(lockFile(), `${deadPid()}\n`);
    const release = await acquireLock(root);
    expect((await readFile(lockFile(), 'utf8')).trim()).toBe(String(process.pid));
    await release();
    expect(existsSync(lockFile())).toBe(false);
  });

  it('a lock held by a live process is refused with its pid and what to do', async () => {
    await writeFile(lockFile(), `${process.ppid}\n`);
    const attempt = acquireLock(root);
    await expect(attempt).rejects.toBeInstanceOf(LockError);
    await expect(acquireLock(root)).rejects.toThrow(`pid ${process.ppid}`);
    expect(await lockHolder(root)).toBe(process.ppid);
    expect((await readFile(lockFile(), 'utf8')).trim()).toBe(String(process.ppid));
  });

  it('garbage in the lock file counts as stale', async () => {
    await writeFile(lockFile(), 'not a pid\n');
    const release = await acquireLock(root);
    expect(await lockHolder(root)).toBe(process.pid);
    await release();
    await release();
  });
});
