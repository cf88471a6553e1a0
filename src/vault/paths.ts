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
