// A real small filesystem for the disk-trouble tests: a tmpfs mounted over a temp vault, filled, made
// read-only, unmounted. Mounting needs root (CAP_SYS_ADMIN); where it is not allowed, the tests that
// need it are skipped with the reason `mountRefusal` gives.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Harness } from './daemon-harness.ts';

function run(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: 'pipe' });
}

/** Why a tmpfs cannot be mounted here, or undefined when it can (tried once, on a throw-away folder). */
export const mountRefusal: string | undefined = (() => {
  if (process.platform !== 'linux') return 'tmpfs mounts are tried on Linux only';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-mount-probe-'));
  try {
    run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    run(['umount', dir]);
    return undefined;
  } catch (error) {
    return `mounting a tmpfs is not permitted here (${(error as Error).message.split('\n')[0]})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

export function mountTmpfs(dir: string, size: string): void {
  run(['mount', '-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

export function remount(dir: string, mode: 'ro' | 'rw'): void {
  run(['mount', '-o', `remount,${mode}`, dir]);
}

/** Never throws: a cleanup that fails must not hide the test's own failure. Lazy when the mount is busy. */
export function unmount(dir: string): void {
  try {
    run(['umount', dir]);
  } catch {
    try {
      run(['umount', '-l', dir]);
    } catch {
      // Not mounted (any more).
    }
  }
}

/** Write `file` until the filesystem is full (ENOSPC). */
export function fill(file: string): void {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

/** After a test on a mounted vault: the daemon lets go of the vault's files before the filesystem goes, then the folder is removed. */
export async function closeMounted(h: Harness | undefined, mounted: string | undefined): Promise<void> {
  await h?.daemon.close({ graceMs: 0 }).catch(() => {});
  if (mounted) unmount(mounted);
  await h?.close();
}
