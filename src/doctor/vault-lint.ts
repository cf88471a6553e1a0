import { stat } from 'node:fs/promises';
import { show } from '../agents/definition.ts';
import type { OperatorPolicy } from '../agents/policy.ts';
import { MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import { readInbound } from '../messages/inbound.ts';
import { MESSAGE_STATUSES, readStatus as readMessageStatus } from '../messages/status.ts';
import { firstLine } from '../runner/stream-parser.ts';
import { scanVault, type VaultScan } from '../intake/vault-scan.ts';
import { tooBigError } from '../vault/note-size.ts';
import type { ScannedNote } from '../vault/scan.ts';
import type { Finding, Section } from './findings.ts';
import { agentGrants } from '../agents/mcp-policy.ts';

const ERRORS_SHOWN = 5;

export async function checkVault(root: string, policy: OperatorPolicy, maxNoteBytes?: number): Promise<{ section: Section; exists: boolean }> {
  const section: Section = { id: 'vault', title: 'Vault', findings: [] };
  const folder = await stat(root).then((s) => s.isDirectory(), () => false);
  if (!folder) {
    section.findings.push({ level: 'fail', message: `${root} is not a folder. Create a vault with "scriptorium init ${root}", or name the vault: scriptorium doctor <vault>.` });
    return { section, exists: false };
  }
  const scan = await scanVault(root, policy, maxNoteBytes);
  const findings = section.findings;
  findings.push({ level: 'ok', message: `${root}: ${summary(scan.notes)}` });
  const valid = scan.registry.definitions().map((d) => d.name);
  if (scan.registry.names().length === 0) {
    findings.push({ level: 'warn', message: 'no agent definitions: add a note tagged agent/definition (in Agents/; "scriptorium init" writes an example)' });
  } else {
    findings.push({ level: 'info', message: `agents ready to run: ${valid.join(', ') || 'none'}` });
  }
  for (const definition of scan.registry.definitions()) {
    const grants = agentGrants(definition);
    if (grants) findings.push({ level: 'info', file: definition.path, message: grants });
  }
  for (const [file, problems] of scan.definitionProblems) {
    for (const problem of problems) findings.push({ level: 'fail', file, field: problem.field, message: problem.message });
  }
  for (const note of scan.unreadable) {
    findings.push({ level: 'warn', file: note.path, message: `frontmatter cannot be read, so Scriptorium ignores this note: ${firstLine(note.reason).replace(/:$/, '')}` });
  }
  const errored: ScannedNote[] = [];
  for (const note of scan.notes.filter((n) => n.role === 'inbound')) {
    const finding = lintInbound(note, scan);
    if (finding === 'error') errored.push(note);
    else if (finding) findings.push({ file: note.path, ...finding });
  }
  if (errored.length > 0) {
    findings.push({ level: 'warn', message: `${errored.length} message${errored.length === 1 ? '' : 's'} ended in error (set status back to ready to run one again):` });
    for (const note of errored.slice(0, ERRORS_SHOWN)) {
      findings.push({ level: 'info', file: note.path, field: 'error', message: typeof note.data.error === 'string' ? firstLine(note.data.error).slice(0, 160) : '(no reason written)' });
    }
    if (errored.length > ERRORS_SHOWN) findings.push({ level: 'info', message: `… and ${errored.length - ERRORS_SHOWN} more` });
  }
  return { section, exists: true };
}

const ROLE_WORDS: Record<string, [string, string]> = {
  definition: ['agent definition', 'agent definitions'],
  inbound: ['message', 'messages'],
  outbound: ['reply', 'replies'],
  thread: ['thread', 'threads'],
  archive: ['thread archive', 'thread archives'],
  dashboard: ['dashboard', 'dashboards'],
};

/** "3 agent definitions, 12 messages (done 9, error 1, ready 2), 9 replies, 2 threads" */
function summary(notes: ScannedNote[]): string {
  if (notes.length === 0) return 'no Scriptorium notes yet';
  const parts: string[] = [];
  for (const [role, [one, many]] of Object.entries(ROLE_WORDS)) {
    const ofRole = notes.filter((n) => n.role === role);
    if (ofRole.length === 0) continue;
    let part = `${ofRole.length} ${ofRole.length === 1 ? one : many}`;
    if (role === 'inbound') {
      const counts = new Map<string, number>();
      for (const n of ofRole) {
        const status = readMessageStatus(n.data.status) ?? 'invalid';
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
      part += ` (${[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s} ${n}`).join(', ')})`;
    }
    parts.push(part);
  }
  return parts.join(', ');
}

/**
 * What would happen to a message the daemon would take in (`ready`/`queued`): a `fail` when it cannot
 * run (the same rules as the daemon's intake), `warn` when it waits; 'error' for one that ended in error.
 */
function lintInbound(note: ScannedNote, scan: VaultScan): Omit<Finding, 'file'> | 'error' | null {
  const { registry } = scan;
  const reading = readInbound(note.path, note.data, note.body);
  if (!reading.ok) {
    if (reading.status === null) {
      return { level: 'warn', field: 'status', message: `${show(note.data.status)} is not one of ${MESSAGE_STATUSES.join(', ')}, so the message is left alone` };
    }
    if (reading.status !== 'ready' && reading.status !== 'queued') return reading.status === 'error' ? 'error' : null;
    return { level: 'fail', field: reading.field, message: reading.error.replace(new RegExp(`^${reading.field}:\\s*`), '') };
  }
  const message = reading.message;
  if (message.status === 'error') return 'error';
  if (message.status !== 'ready' && message.status !== 'queued') return null;
  // Refused before anything else, as intake refuses it: only its first 64 KB was read.
  const size = scan.oversized.get(note.path);
  if (size !== undefined) return { level: 'fail', field: 'size', message: tooBigError(size, scan.maxNoteBytes) };
  if (message.body === '') return { level: 'warn', message: `${message.status}, but it has no text yet: it runs once its body has some` };
  const lookup = registry.lookup(message.to);
  if (lookup.kind === 'unknown') {
    const known = registry.names();
    return { level: 'fail', field: 'to', message: `no agent named "${message.to}" ${known.length ? `(agents: ${known.join(', ')})` : '(no agent definitions found in the vault)'}` };
  }
  if (lookup.kind === 'invalid') {
    return { level: 'fail', field: 'to', message: `the agent "${message.to}" has an invalid definition (${lookup.path}, listed above)` };
  }
  if (message.delegationDepth > MAX_DELEGATION_DEPTH) {
    return { level: 'fail', field: 'delegation_depth', message: `${message.delegationDepth} is past the limit of ${MAX_DELEGATION_DEPTH}` };
  }
  if (message.replyTo && registry.lookup(message.replyTo.toLowerCase()).kind === 'unknown') {
    return { level: 'fail', field: 'reply_to', message: `no agent named "${message.replyTo}" to call back (agents: ${registry.names().join(', ')})` };
  }
  const sender = message.callback ? null : registry.lookup(message.from.toLowerCase());
  if (sender?.kind === 'ok' && !mayAddress(sender.definition, message.to)) {
    return { level: 'fail', field: 'from', message: `${sender.definition.name} may not message ${message.to}: its can_message allows ${sender.definition.canMessage!.join(', ') || 'no agent'}` };
  }
  if (!lookup.definition.enabled) return { level: 'warn', message: `waits: the agent "${message.to}" is disabled (enabled: false)` };
  return null;
}
