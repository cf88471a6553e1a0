import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { OperatorPolicy } from '../agents/policy.ts';
import type { FieldProblem } from '../agents/definition.ts';
import { loadDefinition } from '../agents/load-definition.ts';
import { AgentRegistry } from '../agents/registry.ts';
import { FrontmatterError, locateFrontmatter, parseFrontmatter, type FrontmatterData } from './frontmatter.ts';
import { walkNotesSync } from './walk.ts';
import { roleOf, type NoteRole } from './tags.ts';
import { isInFolders, templateFolders } from './template-folders.ts';

/**
 * The vault read once, without the daemon: for commands that must answer while it is not running
 * (`doctor`, `explain`). Same rules as the watcher: markdown only, dot-folders and node_modules skipped,
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

export interface VaultScan {
  /** Notes with a Scriptorium role tag, outside the template folders. */
  notes: ScannedNote[];
  /** Notes that mention an agent/ tag but whose frontmatter cannot be read, with the reason. */
  unreadable: Array<{ path: string; reason: string }>;
  /** Definitions as the daemon would load them (policy applied, first claim to a name wins). */
  registry: AgentRegistry;
  /** Every problem of every definition note, by path (policy refusals and taken names included). */
  definitionProblems: Map<string, FieldProblem[]>;
  templateFolders: string[];
}

export async function scanVault(root: string, policy: OperatorPolicy): Promise<VaultScan> {
  const folders = templateFolders(root);
  const notes: ScannedNote[] = [];
  const unreadable: VaultScan['unreadable'] = [];
  for (const vaultPath of await listNotes(root)) {
    if (isInFolders(vaultPath, folders)) continue;
    let raw: string;
    try {
      raw = await readFile(path.join(root, vaultPath), 'utf8');
    } catch {
      continue;
    }
    const note = readScriptoriumNote(vaultPath, raw);
    if (note === null) continue;
    if ('reason' in note) unreadable.push(note);
    else notes.push(note);
  }
  // Definitions first, in path order (the daemon's start-up scan order), as the daemon registers them.
  const registry = new AgentRegistry();
  const definitionProblems = new Map<string, FieldProblem[]>();
  for (const note of notes) {
    if (note.role !== 'definition') continue;
    const problems = registry.set(note.path, loadDefinition(note.path, note.data, note.body, root, policy));
    if (problems.length > 0) definitionProblems.set(note.path, problems);
  }
  return { notes, unreadable, registry, definitionProblems, templateFolders: folders };
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
