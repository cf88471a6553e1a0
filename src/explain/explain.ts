import { copiesOriginal } from '../intake/conflict-copy.ts';
import { conflictNames } from '../vault/conflict-names.ts';
import { isIgnoredPath, isMarkdown } from '../vault/paths.ts';
import { readScriptoriumNote, type ScannedNote } from '../vault/scan.ts';
import { isInFolders } from '../vault/template-folders.ts';
import { explainDefinition } from './definition.ts';
import { facts } from './fields.ts';
import { readDecision } from '../approvals/approval-note.ts';
import { HALT_FILE, haltReason } from './halt.ts';
import { explainInbound } from './inbound.ts';
import { explainArchive, explainOutbound, explainThread, whyNotScriptorium } from './other-notes.ts';
import type { ExplainContext, Explanation } from './types.ts';

export { HALT_FILE } from './halt.ts';
export type { ExplainContext, Explanation } from './types.ts';

/**
 * `scriptorium explain`: why a note did or did not run. The decisions retrace the daemon's own path
 * (vault/paths → intake → turns), with the daemon's own admission and thread rules, over data read once
 * by the caller, so the answer holds whether a daemon runs or not. Nothing here writes. This entry
 * settles what holds for every note (ignored paths, template folders, conflict copies), then hands the
 * note to the file for its role.
 */
export function explainNote(root: string, vaultPath: string, ctx: ExplainContext): Explanation {
  const plain = (verdict: string, reasons: string[], next?: string): Explanation => ({ note: vaultPath, role: 'none', verdict, reasons, facts: {}, ...(next ? { next } : {}) });
  if (vaultPath.toLowerCase() === HALT_FILE.toLowerCase()) {
    return plain('the halt switch', [`While ${HALT_FILE} exists no turn starts and no schedule fires (${haltReason(ctx) ?? 'no reason given'}); running turns finish.`], 'Delete it, or run "scriptorium resume", to go on with what waited.');
  }
  if (!isMarkdown(vaultPath)) return plain('ignored: not a markdown file', ['Scriptorium reads only notes whose name ends in .md.']);
  if (isIgnoredPath(vaultPath)) {
    const segment = vaultPath.split('/').find((s) => s.startsWith('.') || s === 'node_modules');
    return plain('ignored: in a hidden folder', [`"${segment}" starts with a dot (or is node_modules): Scriptorium never looks there.`], 'Move the note to an ordinary folder, such as Inbox/.');
  }
  if (ctx.files.isSymlink(vaultPath)) {
    return plain('ignored: a symbolic link', ['Symbolic links are neither read nor written through: one could point outside the vault.'], 'Put the note itself in the vault instead of a link to it.');
  }
  const raw = ctx.files.read(vaultPath);
  if (raw === null) return plain('no such note', [`There is no ${vaultPath} in the vault.`]);
  const template = ctx.scan.templateFolders.find((folder) => isInFolders(vaultPath, [folder]));
  if (template !== undefined) {
    return plain(`ignored: in the template folder ${template}/`, [`Notes in an Obsidian template folder are forms to copy, never run, even with real tags.`], 'Create a note from the template (outside the template folder) and fill it in.');
  }
  const read = readScriptoriumNote(vaultPath, raw);
  if (read === null) return plain('ignored: not a Scriptorium note', [whyNotScriptorium(raw)], 'To send it as a message, add tags: [agent/message/inbound] and to: <agent> to its frontmatter.');
  if ('reason' in read) {
    return plain('ignored: its frontmatter cannot be read', [`The frontmatter cannot be read: ${read.reason}.`, 'The daemon logs "note has unreadable frontmatter" and writes nothing on the note.'], 'Fix the frontmatter: "field: value" lines between a --- line and a closing --- line.');
  }
  if (read.role === 'definition' || read.role === 'inbound') {
    const copy = conflictCopy(read, ctx);
    if (copy) {
      return { note: vaultPath, role: read.role, verdict: 'will not run: a sync conflict copy', reasons: [copy, 'Scriptorium writes an error: on it and never runs it.'], facts: facts(read.data, ['status', 'to', 'error']), next: 'Merge what you need into the original note, then delete this copy.' };
    }
  }
  switch (read.role) {
    case 'definition':
      return explainDefinition(root, read, ctx);
    case 'inbound':
      return explainInbound(root, read, ctx);
    case 'thread':
      return explainThread(read, ctx);
    case 'archive':
      return explainArchive(read);
    case 'outbound':
      return explainOutbound(read);
    case 'dashboard':
      return { note: vaultPath, role: 'dashboard', verdict: 'a dashboard: never runs', reasons: ['agent/dashboard notes are shown, never run.'], facts: {} };
    case 'approval':
      return explainApproval(read, ctx);
  }
}

/** An approval note: what it asks, and whether a turn still waits for it (only a running daemon's turns can). */
function explainApproval(note: ScannedNote, ctx: ExplainContext): Explanation {
  const decision = readDecision(note.data.decision);
  const shown = facts(note.data, ['agent', 'tool', 'input', 'message', 'decision', 'decided_by', 'decided_at', 'expires_at', 'error']);
  const base = { note: note.path, role: 'approval' as const, facts: shown };
  if (decision === null) return { ...base, verdict: 'an approval with a decision that is not allow or deny', reasons: [`decision: ${JSON.stringify(note.data.decision)} is not allow, deny or pending.`], next: 'Set decision: allow or decision: deny.' };
  if (decision !== 'pending') return { ...base, verdict: `an approval, decided: ${decision}`, reasons: [`Decided${typeof note.data.decided_by === 'string' ? ` by ${note.data.decided_by}` : ''}${typeof note.data.decided_at === 'string' ? ` at ${note.data.decided_at}` : ''}.`] };
  const waiting = ctx.daemon?.status?.needsYou?.some((item) => item.path === note.path) === true;
  return waiting
    ? { ...base, verdict: 'waits for you: an approval', reasons: [`${String(note.data.agent)}'s turn waits until you decide; at ${String(note.data.expires_at)} it is denied.`], next: 'Set decision: allow or decision: deny (add reason: for the agent if you like).' }
    : { ...base, verdict: 'an approval nothing waits for', reasons: [ctx.daemon ? 'The running daemon has no turn waiting for it (the turn ended, or the daemon was restarted since): a decision here changes nothing.' : 'No daemon runs on this vault: no turn waits for it.'] };
}

/** The daemon's rule (intake/conflict-copy.ts): a name only a sync tool writes, or one a person may choose too beside an original with the same text. */
function conflictCopy(note: ScannedNote, ctx: ExplainContext): string | null {
  const names = conflictNames(note.path);
  const certain = names.find((name) => name.certain);
  if (certain) return `Its name is ${certain.tool}'s conflict copy of ${certain.original}.`;
  // A note over the size limit was read only in part: as in the daemon, only its name can tell.
  if (ctx.scan.oversized.has(note.path)) return null;
  for (const { tool, original } of names) {
    const raw = original === note.path ? null : ctx.files.read(original);
    if (raw !== null && copiesOriginal(note, raw)) return `It has the same text as ${original}: ${tool}'s conflict copy of it.`;
  }
  return null;
}
