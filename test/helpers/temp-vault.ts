import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { parseFrontmatter, type FrontmatterData } from '../../src/vault/frontmatter.ts';

/**
 * A real vault in a temp folder. Writes go through plain `fs.writeFile`, the way an editor or a person
 * writes a note (not through Scriptorium's atomic store), so the watcher sees what it would see in use.
 */
export interface TempVault {
  root: string;
  read(vaultPath: string): Promise<string>;
  write(vaultPath: string, text: string): Promise<void>;
  exists(vaultPath: string): boolean;
  /** Files directly in a folder, as sorted vault paths (`Outbox/x.md`); `[]` when the folder is missing. */
  list(dir: string): Promise<string[]>;
  /** Every file under the vault (dot-folders included when `withDotFolders`), as sorted vault paths. */
  listAll(options?: { withDotFolders?: boolean }): Promise<string[]>;
  /** The frontmatter fields of a note. */
  fields(vaultPath: string): Promise<FrontmatterData>;
  /** The body of a note (after the frontmatter). */
  body(vaultPath: string): Promise<string>;
  /** `Agents/<name>.md` with the definition tag plus `fields`; returns its vault path. */
  writeAgent(name: string, fields?: FrontmatterData, body?: string): Promise<string>;
  /** `Inbox/<name>.md`, an inbound message to `to` (omitted when undefined); returns its vault path. */
  writeMessage(name: string, to: string | undefined, body: string, fields?: FrontmatterData): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createTempVault(files: Record<string, string> = {}): Promise<TempVault> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-vault-'));
  const abs = (vaultPath: string) => path.join(root, ...vaultPath.split('/'));

  const vault: TempVault = {
    root,
    read: (vaultPath) => readFile(abs(vaultPath), 'utf8'),
    async write(vaultPath, text) {
      await mkdir(path.dirname(abs(vaultPath)), { recursive: true });
      await writeFile(abs(vaultPath), text, 'utf8');
    },
    exists: (vaultPath) => existsSync(abs(vaultPath)),
    async list(dir) {
      try {
        const entries = await readdir(abs(dir), { withFileTypes: true });
        return entries
          .filter((e) => e.isFile())
          .map((e) => `${dir.replace(/\/+$/, '')}/${e.name}`)
          .sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async listAll(options = {}) {
      const out: string[] = [];
      const walk = async (dir: string) => {
        for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
          if (!options.withDotFolders && entry.name.startsWith('.')) continue;
          const rel = dir ? `${dir}/${entry.name}` : entry.name;
          if (entry.isDirectory()) await walk(rel);
          else out.push(rel);
        }
      };
      await walk('');
      return out.sort();
    },
    fields: async (vaultPath) => parseFrontmatter(await vault.read(vaultPath)).data,
    body: async (vaultPath) => parseFrontmatter(await vault.read(vaultPath)).body,
    async writeAgent(name, fields = {}, body = `You are ${name}, a test agent.`) {
      const vaultPath = `Agents/${name}.md`;
      await vault.write(vaultPath, agentNote(fields, body));
      return vaultPath;
    },
    async writeMessage(name, to, body, fields = {}) {
      const vaultPath = `Inbox/${name}.md`;
      await vault.write(vaultPath, inboundNote(to, body, fields));
      return vaultPath;
    },
    cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 10 }),
  };
  for (const [vaultPath, text] of Object.entries(files)) await vault.write(vaultPath, text);
  return vault;
}

/** A note with YAML frontmatter, written the way Obsidian writes properties (block lists). */
export function note(fields: FrontmatterData, body: string): string {
  const yaml = Object.keys(fields).length > 0 ? YAML.stringify(fields, { lineWidth: 0 }) : '';
  return `---\n${yaml}---\n${body.endsWith('\n') ? body : body + '\n'}`;
}

export function agentNote(fields: FrontmatterData = {}, body = 'You are a test agent.'): string {
  return note({ tags: ['agent/definition'], ...fields }, body);
}

export function inboundNote(to: string | undefined, body: string, fields: FrontmatterData = {}): string {
  return note({ tags: ['agent/message/inbound'], ...(to === undefined ? {} : { to }), ...fields }, body);
}
