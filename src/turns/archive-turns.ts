import { ARCHIVE_PART_BYTES, archivePartOf, archivePartPath, newArchivePart } from '../threads/thread-archive.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { roleOf } from '../vault/tags.ts';

/** Enough for a part's frontmatter as Scriptorium writes it, with room for properties a person adds. */
const PART_HEAD_BYTES = 4096;

/** Parts looked at past one that is full or not this thread's, before giving up (a vault full of impostors). */
const MAX_PARTS_SKIPPED = 100;

/**
 * `older` (turns leaving a thread note) appended to the thread's archive: the part its `archive:` names, or
 * the next one once that is full. Returns the part's path. Done again after a crash, it finds the text
 * already at the end of the part and appends nothing: the thread note is written after this, so a replay
 * always comes here first.
 */
export async function archiveTurns(store: NoteStore, thread: { path: string; agent: string; archive: unknown }, older: string): Promise<string> {
  const text = `\n${older.replace(/\n*$/, '\n')}`;
  let part = archivePartOf(thread.path, thread.archive) ?? (await lastPart(store, thread.path));
  for (let skipped = 0; ; skipped++) {
    const partPath = archivePartPath(thread.path, part);
    // A link at a part's name (put there by a sync tool, say) is never appended through.
    const size = (await store.isSymlink(partPath)) ? Infinity : await store.size(partPath);
    if (size === null) {
      await store.write(partPath, newArchivePart(thread.path, thread.agent, part));
      await store.append(partPath, text);
      return partPath;
    }
    if (size !== Infinity && (await store.endsWith(partPath, text))) return partPath;
    if (size < ARCHIVE_PART_BYTES && (await isPartOf(store, partPath, thread.path))) {
      await store.append(partPath, text);
      return partPath;
    }
    if (skipped >= MAX_PARTS_SKIPPED) throw new Error(`${thread.path}: no archive part to move its older turns to (${MAX_PARTS_SKIPPED} parts after ${archivePartPath(thread.path, part - skipped)} are full or not this thread's)`);
    part++;
  }
}

/** The last part of the thread's archive that exists (1 when none does): used when the thread note names none. */
async function lastPart(store: NoteStore, threadPath: string): Promise<number> {
  let part = 1;
  while ((await store.size(archivePartPath(threadPath, part + 1))) !== null) part++;
  return part;
}

/** Whether the note at a part's name is this thread's archive (and not a note someone else put there). */
async function isPartOf(store: NoteStore, partPath: string, threadPath: string): Promise<boolean> {
  // Its first bytes only: the frontmatter is all that is looked at, whatever the part has grown to.
  const head = await store.readHead(partPath, PART_HEAD_BYTES);
  if (head === null) return false;
  try {
    const { data } = parseFrontmatter(head);
    const target = linkTarget(data.thread);
    return roleOf(data.tags) === 'archive' && target !== null && targetToPath(target) === threadPath;
  } catch {
    return false;
  }
}
