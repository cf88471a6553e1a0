import { parseFrontmatter } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { icloudOriginal, isNamedConflictCopy } from '../vault/paths.ts';

/**
 * Sync tools' conflict copies. `Name 2.md` is also what a person might call a second note, so it counts
 * as iCloud's copy only when `Name.md` exists with the same body.
 */
export async function isConflictCopy(store: NoteStore, vaultPath: string, body: string): Promise<boolean> {
  if (isNamedConflictCopy(vaultPath)) return true;
  const original = icloudOriginal(vaultPath);
  if (original === null) return false;
  const raw = await store.readIfExists(original);
  if (raw === null) return false;
  try {
    return parseFrontmatter(raw).body.trim() === body.trim();
  } catch {
    return false;
  }
}
