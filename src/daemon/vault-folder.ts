import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * Which folder this is. The inode alone cannot tell a folder removed and made again: ext4 gives the new
 * folder the inode just freed. Its birth time (statx) differs; where a filesystem has none it reads 0.
 */
function identity(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.birthtimeMs}`;
}

/** The folder's identity from its stat; undefined when it is gone (or not a folder). */
function folderFrom(s: Stats | undefined): string | undefined {
  return s?.isDirectory() ? identity(s) : undefined;
}

/** Gone (ENOENT, ENOTDIR) is an answer; any other failure (EIO, EMFILE…) is not, and is thrown. */
function goneOrThrow(error: unknown): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw error;
}

/**
 * Calls `gone` once if the vault folder is removed (or replaced by another folder of that name): the
 * watcher goes quiet then, and every write fails, so the daemon would otherwise hang on for nothing.
 * Which folder is the vault's is read here, synchronously, so a replacement made at once is seen too.
 * Returns the stop function.
 */
export function watchVaultFolder(root: string, everyMs: number, gone: () => void): () => void {
  let first: Stats | undefined;
  try {
    first = statSync(root);
  } catch (error) {
    goneOrThrow(error);
  }
  const known = folderFrom(first);
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  const check = async () => {
    let now: string | undefined;
    try {
      now = folderFrom(await stat(root).catch(goneOrThrow));
    } catch {
      return; // not an answer (EIO, EMFILE…): asked again next time
    }
    if (stopped || (now !== undefined && now === known)) return;
    stop();
    gone();
  };
  const timer = setInterval(() => void check(), everyMs);
  timer.unref?.();
  if (known === undefined) void check();
  return stop;
}
