import path from 'node:path';

/** Vault-relative paths always use `/`, whatever the platform: they go into links and logs. */
export function toVaultPath(root: string, absolute: string): string {
  return path.relative(root, absolute).split(path.sep).join('/');
}

/** Dot-folders and dot-files (`.obsidian/`, `.trash/`, `.git/`, `.scriptorium/`, sync temp files) and node_modules. */
export function isIgnoredPath(vaultPath: string): boolean {
  return vaultPath.split('/').some((segment) => segment.startsWith('.') || segment === 'node_modules');
}

export function isMarkdown(vaultPath: string): boolean {
  return /\.md$/i.test(vaultPath);
}

const CONFLICT_PATTERNS: RegExp[] = [
  / \(Conflicted copy [^)]*\)\.md$/i, // Obsidian Sync
  /\.sync-conflict-\d{8}-\d{6}-[A-Za-z0-9]+/, // Syncthing
  / \([^)]*conflicted copy[^)]*\)\.md$/i, // Dropbox
];

/**
 * A sync tool's conflict copy. iCloud's `Name 2.md` counts only when `Name.md` exists beside it, which
 * the caller answers with `exists`.
 */
export function isConflictCopy(vaultPath: string, exists: (vaultPath: string) => boolean): boolean {
  if (isNamedConflictCopy(vaultPath)) return true;
  const original = icloudOriginal(vaultPath);
  return original !== null && exists(original);
}

/** A conflict copy by a name no person would choose (Obsidian Sync, Syncthing, Dropbox). */
export function isNamedConflictCopy(vaultPath: string): boolean {
  return CONFLICT_PATTERNS.some((re) => re.test(vaultPath));
}

/** For `Name 2.md`, the `Name.md` it may duplicate (iCloud's naming); null for other names. */
export function icloudOriginal(vaultPath: string): string | null {
  const match = /^(.*) [2-9]\.md$/i.exec(vaultPath);
  return match ? `${match[1]}.md` : null;
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

/**
 * A file-name part safe on Windows, macOS and Linux and inside an Obsidian link: no `< > : " / \ | ? *`,
 * no `# ^ [ ] %` (they break links), no control characters, no leading dot, no trailing dot or space.
 */
export function safeFileName(text: string, maxLength = 60): string {
  let name = text
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*#^[\]%{}]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s-]+/, '');
  // Cut by code points, so an emoji is never split in half.
  const chars = Array.from(name);
  if (chars.length > maxLength) name = chars.slice(0, maxLength).join('');
  // File systems count bytes (255 at most); a name of emoji is four bytes a character.
  while (Buffer.byteLength(name) > maxLength * 2 && name.length > 0) name = Array.from(name).slice(0, -1).join('');
  name = name.replace(/[.\s]+$/, '');
  if (name === '' || WINDOWS_RESERVED.test(name)) name = `note${name ? ' ' + name : ''}`;
  return name;
}

/** A slug for agent names: lower-case letters, digits and dashes. */
export function isSlug(text: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(text);
}

export function slugify(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'agent'
  );
}

/**
 * Resolve a vault-relative path and refuse anything that would land outside the vault
 * (`../`, absolute paths, drive letters): Scriptorium never writes outside it.
 */
export function resolveInVault(root: string, vaultPath: string): string {
  const absolute = path.resolve(root, vaultPath);
  const rel = path.relative(root, absolute);
  if (rel === '' || rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) {
    throw new Error(`refusing a path outside the vault: ${vaultPath}`);
  }
  return absolute;
}
