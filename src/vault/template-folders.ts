import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Folders that hold Obsidian templates (core Templates plugin and Templater). A template of an agent
 * or a message carries the real tags, but it is a form to copy, not a note to act on.
 */
export function templateFolders(root: string): string[] {
  const folders = new Set<string>();
  const read = (file: string, key: string) => {
    try {
      const value = (JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.trim()) folders.add(value.trim().replace(/^\/+|\/+$/g, ''));
    } catch {
      // Not configured.
    }
  };
  read('.obsidian/templates.json', 'folder');
  read('.obsidian/plugins/templater-obsidian/data.json', 'templates_folder');
  if (folders.size === 0) folders.add('Templates');
  return [...folders];
}

export function isInFolders(vaultPath: string, folders: string[]): boolean {
  const lower = vaultPath.toLowerCase();
  return folders.some((folder) => lower.startsWith(folder.toLowerCase() + '/'));
}
