import { closeSync, fstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isIgnoredPath, isMarkdown } from './paths.ts';

/** A plain file, a symbolic link (never followed), or something else (a FIFO, a socket, a device). */
export type WalkKind = 'file' | 'link' | 'other';

export interface WalkedNote {
  /** Vault path, `/`-separated. */
  path: string;
  absolute: string;
  kind: WalkKind;
}

/**
 * Every markdown note in the vault, by vault path in path order, with the same rules as the watcher:
 * dot-folders and node_modules are not descended into, links are not followed (a link named `*.md` is
 * listed as one), an unreadable folder is skipped. Synchronous on purpose: one `readdir` per folder and
 * the entry types it returns (no `stat` per note) is the cheapest walk Node has, and the daemon's start
 * waits for it anyway.
 */
export function walkNotesSync(root: string): WalkedNote[] {
  const out: WalkedNote[] = [];
  // Each folder with its vault path ('' for the root); its parents were checked on the way down.
  const folders: Array<[string, string]> = [[root, '']];
  while (folders.length > 0) {
    const [dir, relDir] = folders.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable (or gone meanwhile): skipped, as chokidar does
    }
    for (const entry of entries) {
      const name = entry.name;
      if (isIgnoredPath(name)) continue;
      const absolute = path.join(dir, name);
      const rel = relDir ? `${relDir}/${name}` : name;
      if (entry.isDirectory()) folders.push([absolute, rel]);
      else if (isMarkdown(name)) out.push({ path: rel, absolute, kind: entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'link' : 'other' });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Which write of a file this is: a rename gives a new inode, a write a new mtime and ctime (some file
 * systems keep only one of the two), mostly a new size. Two writes of the same size within one tick of
 * the file system's clock (a few ms here; 2 s on FAT) look alike.
 */
export function fileVersion(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/** Which file (dev, ino) and which write of it (size, mtime, ctime): what the notes index keys notes by. */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/**
 * The start of a file, read into `buffer` (reused from note to note): how many bytes, `whole` when the
 * file all fit, the version read (`fileVersion`), when it was last written and its stamp. `unread`: a
 * file the caller already knows in this stamp is not read at all (`bytes` 0).
 */
export function readHead(
  absolute: string,
  buffer: Buffer,
  unread: (stamp: FileStamp) => boolean = () => false,
): { bytes: number; whole: boolean; version: string; mtimeMs: number; stamp: FileStamp } {
  const fd = openSync(absolute, 'r');
  try {
    const stats = fstatSync(fd);
    const stamp = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
    if (unread(stamp)) return { bytes: 0, whole: false, version: fileVersion(stats), mtimeMs: stats.mtimeMs, stamp };
    const bytes = readSync(fd, buffer, 0, buffer.length, 0);
    return { bytes, whole: bytes < buffer.length, version: fileVersion(stats), mtimeMs: stats.mtimeMs, stamp };
  } finally {
    closeSync(fd);
  }
}

const DASHES = Buffer.from('---');
const BOM_DASHES = Buffer.from('\uFEFF---');

/** Whether text starting with these bytes can have frontmatter at all (it opens with `---`, after a BOM or not). */
export function opensFrontmatter(head: Buffer): boolean {
  return head.subarray(0, 3).equals(DASHES) || head.subarray(0, 6).equals(BOM_DASHES);
}
