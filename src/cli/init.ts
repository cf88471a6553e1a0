import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { out } from './output.ts';

export const INIT_HELP = `scriptorium init [dir]

Create a vault ready for Scriptorium, or add Scriptorium's folders, an example agent and
Obsidian templates to an existing vault. Existing files are never changed.`;

/** The package's own templates/ folder (next to src/ and dist/). */
const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));

const EXAMPLE_AGENT = `---
tags:
  - agent/definition
description: A general helper that answers questions about the notes in this vault.
mode: single-threaded
---
You are a helpful assistant working inside the user's Obsidian vault.
Answer in concise markdown. When you refer to a note, link it as [[Note name]].
`;

const WELCOME = `# Scriptorium

Agents live in \`Agents/\`, one note each: the body is the agent's instructions.
To ask one something, create a note in \`Inbox/\` from the template *Scriptorium Message*
(or run \`scriptorium send assistant "your question"\`), set \`to:\` and, when it is ready, \`status: ready\`.
The reply appears in \`Outbox/\`; the whole conversation in \`Threads/\`.
`;

export async function initCommand(argv: string[]): Promise<number> {
  const dir = path.resolve(argv[0] ?? '.');
  const existed = existsSync(dir);
  const created: string[] = [];
  await mkdir(dir, { recursive: true });

  for (const folder of ['Agents', 'Inbox', 'Outbox', 'Threads', '.scriptorium']) {
    if (!existsSync(path.join(dir, folder))) {
      await mkdir(path.join(dir, folder), { recursive: true });
      created.push(folder + '/');
    }
  }
  const templatesDir = path.join(await obsidianTemplatesFolder(dir), 'Scriptorium');
  await mkdir(path.join(dir, templatesDir), { recursive: true });
  for (const file of await readdir(TEMPLATES)) {
    const target = path.join(templatesDir, file);
    if (await writeNew(dir, target, await readFile(path.join(TEMPLATES, file), 'utf8'))) created.push(target);
  }
  if (await writeNew(dir, 'Agents/assistant.md', EXAMPLE_AGENT)) created.push('Agents/assistant.md');
  if (!existed || !existsSync(path.join(dir, '.obsidian'))) {
    if (await writeNew(dir, 'Scriptorium.md', WELCOME)) created.push('Scriptorium.md');
  }

  out(existed ? `Added Scriptorium to ${dir}:` : `Created a vault at ${dir}:`);
  for (const item of created) out(`  + ${item}`);
  if (created.length === 0) out('  (nothing to add: everything was already there)');
  out(`\nNext: scriptorium start ${path.relative(process.cwd(), dir) || '.'}`);
  return 0;
}

/** The folder Obsidian's core Templates plugin reads, if the vault has set one; else `Templates`. */
async function obsidianTemplatesFolder(dir: string): Promise<string> {
  try {
    const settings = JSON.parse(await readFile(path.join(dir, '.obsidian', 'templates.json'), 'utf8')) as { folder?: unknown };
    if (typeof settings.folder === 'string' && settings.folder.trim() && !settings.folder.includes('..')) {
      return settings.folder.trim().replace(/^\/+|\/+$/g, '');
    }
  } catch {
    // No Obsidian settings, or no templates folder chosen.
  }
  return 'Templates';
}

async function writeNew(dir: string, rel: string, content: string): Promise<boolean> {
  const target = path.join(dir, rel);
  if (existsSync(target)) return false;
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content, { encoding: 'utf8', flag: 'wx' });
  return true;
}
