import { parseFrontmatter } from '../vault/frontmatter.ts';

/** At the vault root: its mere presence stops every new turn and fire. */
export const HALT_NOTE = 'HALT.md';

/** The first line of HALT.md's body that says something, as the reason. */
export function haltReason(raw: string): string {
  let body = raw;
  try {
    body = parseFrontmatter(raw).body;
  } catch {
    // Unreadable: halted all the same, with no reason.
  }
  return body.split('\n').map((l) => l.replace(/^#+\s*/, '').trim()).find((l) => l && !/^halted$/i.test(l)) ?? 'HALT.md is present';
}
