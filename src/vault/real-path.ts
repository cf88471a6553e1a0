import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Every check of where a path lies is made on real paths: a symbolic link inside the vault (of a note,
 * a folder on the way, or a workspace) must not lead a check or a write outside it, whatever its name.
 */

/** Whether `target` is `dir` or lies under it (both taken as they are: pass real paths). */
export function isInside(target: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(target));
  return !(rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel));
}

/**
 * Where `absolute` really leads: every symbolic link on the way resolved. A part that does not exist yet
 * is appended to the real path of the part above it (a folder Scriptorium is about to create lands where
 * its parent really is); a dangling link is followed to where it points, since a file made there later
 * would be reached through it.
 */
export function realPathOf(absolute: string): string {
  let existing = path.resolve(absolute);
  const rest: string[] = [];
  for (let hops = 0; hops < 64; hops++) {
    try {
      return path.join(realpathSync.native(existing), ...rest);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A name too long for the file system does not exist either: judged by the folder above it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ENAMETOOLONG') throw error;
    }
    const link = danglingLink(existing);
    if (link !== null) {
      existing = path.resolve(path.dirname(existing), link);
      continue;
    }
    const parent = path.dirname(existing);
    if (parent === existing) return path.resolve(absolute);
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  throw new Error(`${absolute}: too many symbolic links on the way`);
}

function danglingLink(p: string): string | null {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : null;
  } catch {
    return null;
  }
}

/** A note path that a symbolic link leads outside the vault; its message names the note and where it leads. */
export class OutsideVaultError extends Error {
  readonly vaultPath: string;
  readonly realPath: string;

  constructor(vaultPath: string, realPath: string) {
    super(`refusing ${vaultPath}: a symbolic link leads it outside the vault (to ${realPath}); Scriptorium reads and writes notes only inside the vault`);
    this.name = 'OutsideVaultError';
    this.vaultPath = vaultPath;
    this.realPath = realPath;
  }
}

/**
 * The real place of a note at `absolute` (the vault path `vaultPath`) in the vault whose real root is
 * `realRoot`: its folder's real path and its own name, so a write renames onto a link, never through it.
 * Throws OutsideVaultError when the folder, or the note itself if it is a link, really lies outside.
 */
export function realNotePath(realRoot: string, vaultPath: string, absolute: string): string {
  const folder = realPathOf(path.dirname(absolute));
  const place = path.join(folder, path.basename(absolute));
  if (!isInside(folder, realRoot)) throw new OutsideVaultError(vaultPath, place);
  // The folder is real: only the note itself can still lead elsewhere, and only if it is a link. One
  // lstat instead of resolving the whole path again (this runs on every read and write of a note).
  if (!isLink(place)) return place;
  const whole = realPathOf(place);
  if (!isInside(whole, realRoot)) throw new OutsideVaultError(vaultPath, whole);
  return place;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Why the vault path would lead outside the vault at `root` (given or real), or null when it stays inside. */
export function outsideVault(root: string, vaultPath: string): string | null {
  try {
    realNotePath(realPathOf(root), vaultPath, path.resolve(root, vaultPath));
    return null;
  } catch (error) {
    if (error instanceof OutsideVaultError) return `leads outside the vault through a symbolic link (to ${error.realPath})`;
    // A loop of links, say: where it leads is unknown, so it is not followed.
    return `cannot be resolved to a real path (${(error as Error).message})`;
  }
}
