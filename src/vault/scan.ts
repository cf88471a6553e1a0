import { FrontmatterError, locateFrontmatter, parseFrontmatter, type FrontmatterData } from './frontmatter.ts';
import { walkNotesSync } from './walk.ts';
import { roleOf, type NoteRole } from './tags.ts';

/**
 * Every note of the vault, by the watcher's rules: markdown only, dot-folders and node_modules skipped,
 * symbolic links not followed.
 */
export async function listNotes(root: string): Promise<string[]> {
  return walkNotesSync(root)
    .filter((note) => note.kind === 'file')
    .map((note) => note.path);
}

export interface ScannedNote {
  path: string;
  role: NoteRole;
  data: FrontmatterData;
  body: string;
}

/** Cheap test before any YAML: a Scriptorium note has frontmatter that mentions an agent/ tag. */
export function mightBeScriptoriumNote(raw: string): boolean {
  let block;
  try {
    block = locateFrontmatter(raw);
  } catch {
    // Opened and never closed: only worth a warning if it looks like one of ours.
    return /agent\//i.test(raw.slice(0, 4096));
  }
  return block !== null && /agent\//i.test(raw.slice(block.yamlStart, block.yamlEnd));
}

/** A Scriptorium note's role, fields and body; `{reason}` when it looks like one but cannot be read; null otherwise. */
export function readScriptoriumNote(vaultPath: string, raw: string): ScannedNote | { path: string; reason: string } | null {
  if (!mightBeScriptoriumNote(raw)) return null;
  try {
    const { data, body } = parseFrontmatter(raw);
    const role = roleOf(data.tags);
    return role === null ? null : { path: vaultPath, role, data, body };
  } catch (error) {
    return { path: vaultPath, reason: error instanceof FrontmatterError ? error.message : String(error) };
  }
}
