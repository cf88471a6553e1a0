import path from 'node:path';

export type SyncTool = 'Obsidian Sync' | 'Syncthing' | 'Dropbox' | 'Nextcloud' | 'iCloud' | 'OneDrive' | 'Google Drive';

/** What a note's name says it may be a conflict copy of. */
export interface ConflictName {
  tool: SyncTool;
  /** The note it copies (vault path, same folder). */
  original: string;
  /**
   * The name alone proves it (no person names a note `x.sync-conflict-20240101-120000-ABCDEFG.md`). When
   * false, the name is one a person may choose too (`Question 2.md`, `Plan (1).md`, `ask-laptop.md`): it
   * counts only when the original exists with the same text (intake/conflict-copy.ts).
   */
  certain: boolean;
}

interface NameRule {
  tool: SyncTool;
  certain: boolean;
  /** On the file name; group 1 is the original's name without `.md`. */
  re: RegExp;
}

/** `(1)` as Dropbox adds it inside its own parentheses when a conflicted copy of that date exists already. */
const N = String.raw`(?: \(\d+\))?`;

const RULES: NameRule[] = [
  // Obsidian Sync: `Note (conflict 2026-12-04 101010).md`; before 1.9, `Note (Conflicted copy Laptop 202411281430).md`
  // (capital C: the letter case tells it from Nextcloud's, for the name explain gives; either is a copy).
  { tool: 'Obsidian Sync', certain: true, re: /^(.+) \(conflict \d{4}-\d{2}-\d{2} \d{6}\)\.md$/i },
  { tool: 'Obsidian Sync', certain: true, re: /^(.+) \(Conflicted copy [^()]*\)\.md$/ },
  // Nextcloud (and ownCloud) desktop client: `Note (conflicted copy 2026-12-04 101010).md`, older `Note_conflict-20261204-101010.md`.
  { tool: 'Nextcloud', certain: true, re: /^(.+) \(conflicted copy(?: [^()]*)? \d{4}-\d{2}-\d{2} \d{6}\)\.md$/i },
  { tool: 'Nextcloud', certain: true, re: /^(.+)_conflict-\d{8}-\d{6}\.md$/i },
  // Dropbox: `Note (Jane's conflicted copy 2026-12-04).md`, `… 2026-12-04 (1)).md`, and its case and selective-sync conflicts.
  { tool: 'Dropbox', certain: true, re: new RegExp(String.raw`^(.+) \([^()]*(?:conflicted copy|case conflict|selective sync conflict)[^()]*${N}\)\.md$`, 'i') },
  // Syncthing: `Note.sync-conflict-20261204-101010-ABCDEFG.md` (the last part: the device's short id).
  { tool: 'Syncthing', certain: true, re: /^(.+)\.sync-conflict-\d{8}-\d{6}-[A-Za-z0-9]+\.md$/i },
  // OneDrive, on a Windows machine with its default name: `Note-DESKTOP-5G7H8J9.md`, `Note-LAPTOP-AB12CD34.md`.
  { tool: 'OneDrive', certain: true, re: /^(.+)-(?:DESKTOP|LAPTOP)-[A-Z0-9]{4,12}\.md$/ },
  // iCloud Drive: `Note 2.md`; Google Drive for desktop: `Note (1).md`.
  { tool: 'iCloud', certain: false, re: /^(.+) [2-9]\.md$/i },
  { tool: 'Google Drive', certain: false, re: /^(.+) \([1-9]\d{0,2}\)\.md$/i },
];

/** A host name as OneDrive appends it: letters, digits and dashes, at most 63 characters. */
const HOST = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;

/**
 * What this note's name says it may be a conflict copy of, most certain first; empty for an ordinary name.
 * A name is matched on its file name only (a folder's name says nothing about a note).
 */
export function conflictNames(vaultPath: string): ConflictName[] {
  const dir = path.posix.dirname(vaultPath);
  const file = path.posix.basename(vaultPath);
  const at = (name: string) => (dir === '.' ? `${name}.md` : `${dir}/${name}.md`);
  const out: ConflictName[] = [];
  for (const rule of RULES) {
    const match = rule.re.exec(file);
    if (match && match[1]!.trim() !== '') out.push({ tool: rule.tool, original: at(match[1]!), certain: rule.certain });
  }
  if (out.some((name) => name.certain)) return out.filter((name) => name.certain).slice(0, 1);
  // OneDrive with any other machine name: `Note-hostname.md`. A host name may hold dashes itself, so every
  // split is a candidate (`a-b-c.md`: `a.md` from host `b-c`, or `a-b.md` from host `c`).
  const stem = file.replace(/\.md$/i, '');
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    const host = stem.slice(i + 1);
    if (HOST.test(host) && stem.slice(0, i).trim() !== '') out.push({ tool: 'OneDrive', original: at(stem.slice(0, i)), certain: false });
  }
  return out;
}
