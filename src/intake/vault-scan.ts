import type { FieldProblem } from '../agents/definition.ts';
import { loadDefinition } from '../agents/load-definition.ts';
import { refusedDefinition, stampedWriter } from '../agents/written-by.ts';
import type { OperatorPolicy } from '../agents/policy.ts';
import { AgentRegistry } from '../agents/registry.ts';
import { NoteStore } from '../vault/note-store.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../vault/note-size.ts';
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
  /** Notes over `maxNoteBytes`, with their size: only their first 64 KB was read (their body is cut there). */
  oversized: Map<string, number>;
  maxNoteBytes: number;
}

/**
 * The vault read once, without the daemon, as intake would take it in: for commands that must answer
 * while it is not running (`doctor`, `explain`). Definitions are registered as the daemon registers them.
 */
export async function scanVault(root: string, policy: OperatorPolicy, maxNoteBytes = DEFAULT_MAX_MESSAGE_BYTES): Promise<VaultScan> {
  const folders = templateFolders(root);
  const notes: ScannedNote[] = [];
  const unreadable: VaultScan['unreadable'] = [];
  const oversized = new Map<string, number>();
  // The daemon's own bounded read: a huge note is not read whole here either.
  const store = new NoteStore(root, { maxNoteBytes });
  for (const vaultPath of await listNotes(root)) {
    if (isInFolders(vaultPath, folders)) continue;
    let raw: string;
    try {
      const read = await store.readBounded(vaultPath);
      if (read === null) continue;
      if ('raw' in read) raw = read.raw;
      else {
        raw = read.head;
        oversized.set(vaultPath, read.size);
      }
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
    const size = oversized.get(note.path);
    const loaded = loadDefinition(note.path, note.data, note.body, root, policy, size === undefined ? undefined : { size, limit: maxNoteBytes });
    // As the daemon reads it: one an agent's turn wrote (stamped so) is not an agent until a person accepts it.
    const writer = stampedWriter(note.data);
    const problems = registry.set(note.path, writer ? refusedDefinition(loaded, { agent: writer }) : loaded);
    if (problems.length > 0) definitionProblems.set(note.path, problems);
  }
  return { notes, unreadable, registry, definitionProblems, templateFolders: folders, oversized, maxNoteBytes };
}

