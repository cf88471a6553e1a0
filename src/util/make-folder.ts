import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

// `mkdir -p` below a folder that must already be there (the vault), one folder at a time, never that
// folder itself. Not `mkdir(dir, { recursive: true })`, for two reasons:
// - it makes the vault folder again when it was removed while the daemon runs: the daemon would go on
//   writing into a new, empty folder of that name, and on ext4 that folder even gets the removed one's
//   inode, so nothing could tell it was removed (daemon/vault-folder.ts);
// - on a read-only filesystem it reports ENOENT, not EROFS (Node 22), so the daemon could not say why.
// A folder that exists costs one mkdir call (EEXIST), as a recursive mkdir does.

/** The folders from below `root` down to `dir`, outermost first; throws for a `dir` outside `root`. */
function foldersBelow(root: string, dir: string): string[] {
  const relative = path.relative(root, dir);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`${dir} is not inside ${root}`);
  const folders: string[] = [];
  let current = root;
  for (const part of relative.split(path.sep).filter(Boolean)) folders.push((current = path.join(current, part)));
  return folders;
}

function existed(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST';
}

/** Make `dir` and the folders above it up to `root` (not `root`: gone, this fails with ENOENT). */
export async function makeFolderBelow(root: string, dir: string): Promise<void> {
  for (const folder of foldersBelow(root, dir)) {
    await mkdir(folder).catch((error: unknown) => {
      if (!existed(error)) throw error;
    });
  }
}

/** As `makeFolderBelow`, synchronously (the log file writes synchronously). */
export function makeFolderBelowSync(root: string, dir: string): void {
  for (const folder of foldersBelow(root, dir)) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if (!existed(error)) throw error;
    }
  }
}
