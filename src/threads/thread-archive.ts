import path from 'node:path';
import { stringifyNote, type FrontmatterData } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath, wikilink } from '../vault/links.ts';
import { ROLE_TAGS } from '../vault/tags.ts';

/**
 * A thread note keeps its latest turn; every turn before it moves to the thread's archive notes, appended
 * there and never rewritten. So a turn costs the same to record at turn 3,000 as at turn 2, and the thread
 * note stays small enough for Obsidian (and for the writes of a running turn's live section).
 *
 *   Threads/researcher.md                        the thread: frontmatter, heading, the latest turn
 *   Threads/Archive/researcher, part 1.md        turns moved out of it, oldest first
 *   Threads/Archive/researcher, part 2.md        once part 1 has reached ARCHIVE_PART_BYTES
 *
 * The thread note names its current part in `archive:` and shows it embedded above the latest turn.
 */
export const ARCHIVE_DIR = 'Archive';

/** A part is closed once it holds this much; the next turns go to the next part. */
export const ARCHIVE_PART_BYTES = 256 * 1024;

/** The folder of a thread's archive notes: `Archive/` beside the thread note. */
export function archiveFolder(threadPath: string): string {
  const dir = path.posix.dirname(threadPath);
  return dir === '.' ? ARCHIVE_DIR : `${dir}/${ARCHIVE_DIR}`;
}

/** `Threads/Archive/researcher, part 3.md` for the thread `Threads/researcher.md`. */
export function archivePartPath(threadPath: string, part: number): string {
  return `${archiveFolder(threadPath)}/${path.posix.basename(threadPath).replace(/\.md$/i, '')}, part ${part}.md`;
}

/**
 * The part an `archive:` value names, when it is one of this thread's parts (anything else, a link to some
 * other note, is not followed: turns are appended only where this thread's archive is).
 */
export function archivePartOf(threadPath: string, value: unknown): number | undefined {
  const target = linkTarget(value);
  if (target === null) return undefined;
  const match = /, part ([1-9][0-9]{0,5})$/.exec(target.replace(/\.md$/i, ''));
  if (!match) return undefined;
  const part = Number(match[1]);
  return archivePartPath(threadPath, part) === targetToPath(target) ? part : undefined;
}

/** A new archive part: what it is and whose, then the turns appended below. */
export function newArchivePart(threadPath: string, agent: string, part: number): string {
  const data: FrontmatterData = { tags: [ROLE_TAGS.archive], agent, thread: wikilink(threadPath), part };
  const before = part > 1 ? ` Earlier turns: ${wikilink(archivePartPath(threadPath, part - 1))}.` : '';
  return stringifyNote(data, `Earlier turns of ${wikilink(threadPath)}, moved here from the thread note as it grew; its latest turn is there.${before}\n`);
}

/** The line that shows a thread's current archive part in the thread note. */
export function archiveEmbed(partPath: string): string {
  return `!${wikilink(partPath)}`;
}

/** A turn's heading as renderTurn writes it (a running turn's too). */
const TURN_HEADING = /^## Turn \d+ · /m;

/**
 * `raw` (a thread note with the turn just finished in it, at `recordAt`) split in three: what stays above the
 * turns, the turns (and anything typed between them) before the one just finished, which go to the archive,
 * and the rest, from the finished turn on. The frontmatter is never searched for a heading.
 */
export function splitOlderTurns(raw: string, bodyStart: number, recordAt: number): { head: string; older: string; rest: string } {
  const first = firstHeading(raw, bodyStart);
  if (first === -1 || first >= recordAt) return { head: raw.slice(0, recordAt), older: '', rest: raw.slice(recordAt) };
  return { head: raw.slice(0, first), older: raw.slice(first, recordAt), rest: raw.slice(recordAt) };
}

function firstHeading(raw: string, from: number): number {
  const match = TURN_HEADING.exec(raw.slice(from));
  return match ? from + match.index : -1;
}

/**
 * `head` (a thread note's frontmatter and the text above its turns) with the embed of `partPath` as its last
 * line, in the place of the embed of an earlier part of the same thread.
 */
export function withArchiveEmbed(head: string, threadPath: string, partPath: string): string {
  const folder = archiveFolder(threadPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const base = path.posix.basename(threadPath).replace(/\.md$/i, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const ours = new RegExp(`^!\\[\\[${folder}/${base}, part \\d+\\]\\][ \\t]*\\r?\\n?`, 'gm');
  return `${head.replace(ours, '').replace(/\s*$/, '')}\n\n${archiveEmbed(partPath)}\n`;
}
