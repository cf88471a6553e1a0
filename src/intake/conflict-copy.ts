import { isDeepStrictEqual } from 'node:util';
import { userFields } from '../messages/stamps.ts';
import { readStatus } from '../messages/status.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import { conflictNames } from '../vault/conflict-names.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { roleOf } from '../vault/tags.ts';

/**
 * The note a sync tool's conflict copy copies, or null when this note is not one. A name only a sync tool
 * writes is enough. A name a person may choose too (`Name 2.md`, `Name (1).md`, `Name-laptop.md`) is a
 * guess, acted on only where it prevents a duplicate turn (`copiesOriginal`): the original exists beside
 * it with the same body and the same fields but Scriptorium's stamps.
 * `note` is null when the note was too big to read whole: then only the name can tell.
 */
export async function conflictOriginal(store: NoteStore, vaultPath: string, note: { data: FrontmatterData; body: string } | null): Promise<string | null> {
  const names = conflictNames(vaultPath);
  const certain = names.find((name) => name.certain);
  if (certain) return certain.original;
  if (note === null) return null;
  for (const { original } of names) {
    if (original === vaultPath || !store.exists(original)) continue;
    const read = await store.readBounded(original);
    if (read !== null && 'raw' in read && copiesOriginal(note, read.raw)) return original;
  }
  return null;
}

/**
 * For a note whose name only may be a copy's: it would run (a definition, or a message that is ready or
 * queued: one that will not run needs no guess), and `originalRaw` is the same note with the same role,
 * body and fields, Scriptorium's stamps aside.
 */
export function copiesOriginal(note: { data: FrontmatterData; body: string }, originalRaw: string): boolean {
  const role = roleOf(note.data.tags);
  if (role === 'inbound') {
    const status = readStatus(note.data.status);
    if (status !== 'ready' && status !== 'queued') return false;
  } else if (role !== 'definition') {
    return false;
  }
  let original;
  try {
    original = parseFrontmatter(originalRaw);
  } catch {
    return false; // an original whose frontmatter does not parse is not compared
  }
  return roleOf(original.data.tags) === role && original.body.trim() === note.body.trim() && isDeepStrictEqual(userFields(original.data), userFields(note.data));
}

