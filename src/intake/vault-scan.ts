import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FieldProblem } from '../agents/definition.ts';
import { loadDefinition } from '../agents/load-definition.ts';
import type { OperatorPolicy } from '../agents/policy.ts';
import { AgentRegistry } from '../agents/registry.ts';
import { listNotes, readScriptoriumNote, type ScannedNote } from '../vault/scan.ts';
import { isInFolders, templateFolders } from '../vault/template-folders.ts';

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

/**
 * The vault read once, without the daemon, as intake would take it in: for commands that must answer
 * while it is not running (`doctor`, `explain`). Definitions are registered as the daemon registers them.
 */
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

