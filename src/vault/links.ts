/**
 * Wikilinks in frontmatter. Scriptorium writes them quoted (`thread: "[[Threads/researcher]]"`) so
 * Obsidian indexes them; users sometimes write them unquoted, which YAML reads as `[["Threads/researcher"]]`.
 */
export function wikilink(vaultPath: string, alias?: string): string {
  const target = vaultPath.replace(/\.md$/i, '');
  return alias ? `[[${target}|${alias}]]` : `[[${target}]]`;
}

/** The target of a link value (`[[X]]`, `[[X|alias]]`, `[[X#heading]]`, `[["X"]]`, or a bare `X`), or null. */
export function linkTarget(value: unknown): string | null {
  let v: unknown = value;
  while (Array.isArray(v) && v.length === 1) v = v[0];
  if (typeof v !== 'string') return null;
  const text = v.trim();
  if (/^\[\[\s*\]\]$/.test(text)) return null;
  const inner = /^\[\[([^\]]+)\]\]$/.exec(text)?.[1] ?? text;
  const target = inner.split('|')[0]!.split('#')[0]!.trim();
  return target === '' ? null : target;
}

/** `Threads/researcher` → `Threads/researcher.md` */
export function targetToPath(target: string): string {
  return /\.md$/i.test(target) ? target : `${target}.md`;
}
