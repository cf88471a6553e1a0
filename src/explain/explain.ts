import { haltReason as haltReasonOf } from '../daemon/halt-note.ts';
import { parseDefinition, type AgentDefinition, type FieldProblem } from '../agents/definition.ts';
import { checkPolicy, type OperatorPolicy } from '../agents/policy.ts';
import { budgetHold, Ledger } from '../daemon/ledger.ts';
import type { AgentStatus, DaemonStatus, TurnLogEntry } from '../daemon/state-file.ts';
import { AGENT_MESSAGES_PER_HOUR, MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import { readInbound, type InboundMessage } from '../messages/inbound.ts';
import { nextFire } from '../schedule/cron.ts';
import type { ScheduleState } from '../schedule/scheduler.ts';
import { singleThreadPath } from '../threads/thread-note.ts';
import { isoLocal } from '../util/clock.ts';
import { locateFrontmatter, parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath, wikilink } from '../vault/links.ts';
import { icloudOriginal, isIgnoredPath, isMarkdown, isNamedConflictCopy } from '../vault/paths.ts';
import { readScriptoriumNote, type ScannedNote, type VaultScan } from '../vault/scan.ts';
import { normalizeTags, ROLE_TAGS, type NoteRole } from '../vault/tags.ts';
import { isInFolders } from '../vault/template-folders.ts';

/**
 * `scriptorium explain`: why a note did or did not run. The decisions retrace the daemon's own path
 * (vault/paths → intake → run-message), over data read once by the caller, so the answer holds whether a
 * daemon runs or not. Nothing here writes.
 */
export interface Explanation {
  note: string;
  role: NoteRole | 'none';
  /** One short line: `done`, `draft: not sent yet`, `waits: the agent "x" is disabled`, ... */
  verdict: string;
  /** Sentences a person can act on. */
  reasons: string[];
  facts: Record<string, string>;
  next?: string;
}

/** What explain knows of the vault and the daemon; the two file reads are the only seams into the disk. */
export interface ExplainContext {
  files: {
    /** The note's text; null when there is no such file. */
    read(vaultPath: string): string | null;
    isSymlink(vaultPath: string): boolean;
  };
  /** The vault as the daemon would load it (`scanVault`). */
  scan: VaultScan;
  policy: OperatorPolicy;
  /** Where the policy was read from, named when a refusal is shown. */
  policySource?: string;
  /** The live daemon holding the vault and its `status.json`; null when none runs. */
  daemon: { pid: number; status: DaemonStatus | null } | null;
  /** HALT.md's text while it exists (halted), null otherwise. */
  halt: string | null;
  /** `.scriptorium/turns.jsonl`, as the daemon's ledger reads it. */
  turns: TurnLogEntry[];
  /** `.scriptorium/schedule.json`. */
  schedule: ScheduleState;
  now: Date;
}

export const HALT_FILE = 'HALT.md';

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
    case 'outbound':
      return explainOutbound(read);
    case 'dashboard':
      return { note: vaultPath, role: 'dashboard', verdict: 'a dashboard: never runs', reasons: ['agent/dashboard notes are shown, never run.'], facts: {} };
  }
}

function whyNotScriptorium(raw: string): string {
  let block;
  try {
    block = locateFrontmatter(raw);
  } catch {
    return 'It opens a frontmatter with --- that never closes, and mentions no agent/ tag near the top.';
  }
  if (block === null) return 'It has no frontmatter, so no agent/ tag: it is one of your ordinary notes.';
  if (!/agent\//i.test(raw.slice(block.yamlStart, block.yamlEnd))) return 'Its frontmatter has no agent/ tag: it is one of your ordinary notes.';
  let data: FrontmatterData = {};
  try {
    data = parseFrontmatter(raw).data;
  } catch {
    // readScriptoriumNote parsed it already; nothing more to say.
  }
  const roles = Object.values(ROLE_TAGS).join(', ');
  if (data.tags === undefined && data.tag !== undefined) return `Its tags are in a field named "tag": Scriptorium reads only "tags" (${roles}).`;
  const agentTags = normalizeTags(data.tags).filter((t) => t.startsWith('agent/'));
  if (agentTags.length > 0) return `Its tags (${agentTags.join(', ')}) name no Scriptorium role; the roles are ${roles}.`;
  return `Its frontmatter mentions agent/, but its tags field has no role tag (${roles}).`;
}

/** The daemon's rule (intake): a named conflict copy, or iCloud's `Name 2.md` beside `Name.md` with the same body. */
function conflictCopy(note: ScannedNote, ctx: ExplainContext): string | null {
  if (isNamedConflictCopy(note.path)) return 'Its name is a sync tool\'s conflict copy (Obsidian Sync, Syncthing or Dropbox).';
  const original = icloudOriginal(note.path);
  const raw = original === null ? null : ctx.files.read(original);
  if (raw === null) return null;
  try {
    return parseFrontmatter(raw).body.trim() === note.body.trim() ? `It has the same text as ${original}: iCloud's conflict copy of it.` : null;
  } catch {
    return null;
  }
}

/** What stops (or holds) a message, in the daemon's order; the first one decides the verdict. */
interface Blocker {
  verdict: string;
  reason: string;
  next?: string;
}

function explainInbound(root: string, note: ScannedNote, ctx: ExplainContext): Explanation {
  const { path, data, body } = note;
  const shown = facts(data, ['status', 'to', 'from', 'thread', 'reply', 'queued_at', 'started_at', 'finished_at', 'waiting_for', 'retry_at', 'retry_attempt', 'delegation_depth', 'reply_to', 'correlation_id', 'callback', 'outcome', 'origin_message', 'callback_note', 'callback_skipped', 'error']);
  shown.daemon = ctx.daemon ? `running (pid ${ctx.daemon.pid})` : 'not running';
  const result = (verdict: string, reasons: string[], next?: string): Explanation => ({ note: path, role: 'inbound', verdict, reasons, facts: shown, ...(next ? { next } : {}) });
  const reading = readInbound(path, data, body);
  if (!reading.ok) {
    const invalid = reading.error.startsWith(`${reading.field}:`) ? `invalid field ${reading.error}` : `invalid field ${reading.field}: ${reading.error}`;
    if (reading.status === null) {
      return result('will not run: invalid field status', [`${invalid}. Scriptorium writes this on the note's error: and leaves the status alone.`], 'Set status: ready to send it (or draft to keep working on it).');
    }
    if (reading.status === 'draft') return result('draft: not sent yet', ['status: draft — set status: ready to send it.', `Once ready it will fail: ${invalid}.`], `Fix ${reading.field}, then set status: ready.`);
    if (reading.status === 'ready' || reading.status === 'queued' || reading.status === 'running') {
      return result(`will not run: invalid field ${reading.field}`, [`${invalid}.`, ctx.daemon ? 'The daemon marks it status: error when it reads it.' : 'When the daemon starts, it marks it status: error.'], `Fix ${reading.field}, then set status: ready.`);
    }
    const ended = explainEnded(reading.status, data, ctx);
    return result(ended.verdict, [...ended.reasons, `To run it again, first fix ${invalid}.`], `Fix ${reading.field}, then set status: ready.`);
  }
  const m = reading.message;
  shown.status = m.status; // absent means ready
  const agent = ctx.scan.registry.lookup(m.to);
  if (agent.kind === 'ok') shown.agent = `${agent.definition.name} (${agent.definition.path})`;
  const turn = lastTurn(path, data, ctx.turns);
  if (turn) {
    shown.cost = `$${turn.costUsd.toFixed(4)}`;
    shown.duration = `${(turn.durationMs / 1000).toFixed(1)} s`;
  }
  const chain = delegationReasons(m);

  switch (m.status) {
    case 'draft': {
      const reasons = ['status: draft — set status: ready to send it.'];
      if (m.body === '') reasons.push('Its body is empty: write the message first.');
      const refused = refusal(root, m, ctx);
      if (refused) reasons.push(`Once ready it will not run: ${refused.reason}`);
      return result('draft: not sent yet', reasons, refused?.next ?? 'Set status: ready to send it.');
    }
    case 'done':
    case 'error':
    case 'cancelled': {
      const ended = explainEnded(m.status, data, ctx);
      const reasons = [...ended.reasons, ...chain];
      if (turn && m.status !== 'cancelled') reasons.push(`Its turn cost $${turn.costUsd.toFixed(4)} and took ${(turn.durationMs / 1000).toFixed(1)} s.`);
      let next = ended.next;
      if (m.status !== 'done') {
        const refused = refusal(root, m, ctx);
        if (refused) {
          reasons.push(`Set back to ready now, it would not run either: ${refused.reason}`);
          next = refused.next ?? next;
        }
      }
      return result(ended.verdict, reasons, next);
    }
    case 'running': {
      if (ctx.daemon) {
        const since = str(data.started_at);
        return result(`running${since ? ` since ${since}` : ''}`, [`A turn of ${m.to} is running now${m.thread ? ` in [[${m.thread}]]` : ''}; the reply and status: done (or error) are written when it ends.`, ...chain]);
      }
      return result('interrupted: no daemon runs, yet it says running', [
        'Its status says running, but no daemon runs on this vault: the daemon stopped in the middle of its turn.',
        'At the next start, Scriptorium runs it again if its journal shows the turn was cut off (at most 3 times), or marks it error ("set status back to ready to run it again").',
      ], 'Start the daemon (scriptorium start) to settle it.');
    }
    case 'ready':
    case 'queued':
      break;
  }

  const blockers = pendingBlockers(root, m, ctx);
  if (blockers.length === 0) {
    const { verdict, reasons } = laneState(m, ctx);
    return result(verdict, [...reasons, ...chain]);
  }
  const nexts = [...new Set(blockers.map((b) => b.next).filter((n): n is string => n !== undefined))];
  return result(blockers[0]!.verdict, [...blockers.map((b) => b.reason), ...chain], nexts.join(' Then: ') || undefined);
}

/** A message that has ended (or was cancelled): when, where the answer is, how to run it again. */
function explainEnded(status: 'done' | 'error' | 'cancelled', data: FrontmatterData, ctx: ExplainContext): { verdict: string; reasons: string[]; next: string } {
  const finished = str(data.finished_at);
  const reply = str(data.reply);
  const thread = str(data.thread);
  if (status === 'cancelled') return { verdict: 'cancelled: Scriptorium skips it', reasons: ['status: cancelled — it is never run; a turn already running was not stopped.'], next: 'Set status: ready to run it.' };
  const reasons: string[] = [];
  if (status === 'done') {
    reasons.push(`It ran${finished ? ` and finished at ${finished}` : ''}${reply ? `; the reply is ${reply}` : ''}.`);
    if (thread) reasons.push(`The conversation is in ${thread}.`);
    if (reply && linkTarget(reply) && ctx.files.read(targetToPath(linkTarget(reply)!)) === null) reasons.push(`The reply note ${reply} is no longer in the vault.`);
    return { verdict: `done${finished ? ` at ${finished}` : ''}`, reasons, next: 'Set status back to ready to run it again.' };
  }
  const error = str(data.error) ?? 'no reason was written';
  reasons.push(`error: ${error}`);
  if (reply) reasons.push(`The failure note is ${reply}${finished ? `, written at ${finished}` : ''}.`);
  else if (finished) reasons.push(`It was refused at ${finished}, before any turn ran.`);
  return { verdict: `failed: ${error.length > 100 ? `${error.slice(0, 100)}…` : error}`, reasons, next: 'Set status back to ready to run it again.' };
}

/** Delegation context: a callback, or who is called back when it ends. */
function delegationReasons(m: InboundMessage): string[] {
  if (m.callback) return [`This is a callback: ${m.from} reports on work ${m.to} delegated; it runs as a turn of ${m.to}.`];
  if (!m.replyTo) return [];
  if (m.delegationDepth >= MAX_DELEGATION_DEPTH) return [`When it ends, no callback goes to ${m.replyTo}: delegation depth ${m.delegationDepth} reached the limit of ${MAX_DELEGATION_DEPTH}.`];
  return [`When it ends (done or error), ${m.replyTo} is called back${m.group ? ` (once for the group "${m.group.id}")` : ''}.`];
}

/**
 * Why the daemon would refuse the message outright (intake's checks after the empty-body wait):
 * unknown or invalid agent, depth, an unknown reply_to, can_message, the loop guard, a thread it cannot use.
 */
function refusal(root: string, m: InboundMessage, ctx: ExplainContext): Blocker | null {
  const registry = ctx.scan.registry;
  const lookup = registry.lookup(m.to);
  const names = registry.names();
  if (lookup.kind === 'unknown') {
    return {
      verdict: `will fail: no agent named "${m.to}"`,
      reason: `to: no agent named "${m.to}" ${names.length ? `(agents: ${names.join(', ')})` : '(no agent definitions found in the vault)'}.`,
      next: names.length ? `Set to: to one of ${names.join(', ')} (or create the agent), then set status: ready.` : `Create the agent (Agents/${m.to}.md with tags: [agent/definition]), then set status: ready.`,
    };
  }
  if (lookup.kind === 'invalid') {
    const policy = policyRefused(root, lookup.path, ctx);
    return {
      verdict: policy ? `will fail: the agent "${m.to}" is refused by the operator's policy` : `will fail: the agent "${m.to}" has an invalid definition`,
      reason: `The definition ${lookup.path} is ${policy ? "refused by the operator's policy" : 'invalid'}: ${lookup.problems.map(invalidField).join('; ')}.`,
      next: `Fix ${lookup.path}, then set this message back to ready.`,
    };
  }
  if (m.delegationDepth > MAX_DELEGATION_DEPTH) {
    return {
      verdict: 'will be refused: past the delegation depth limit',
      reason: `delegation_depth ${m.delegationDepth} is past the limit of ${MAX_DELEGATION_DEPTH}: the chain of agents messaging agents stops here.`,
      next: 'A chain this deep is most likely agents looping; if it is not, lower delegation_depth and set status: ready.',
    };
  }
  if (m.replyTo && registry.lookup(m.replyTo.toLowerCase()).kind === 'unknown') {
    return { verdict: 'will be refused: reply_to names no agent', reason: `reply_to: no agent named "${m.replyTo}" to call back (agents: ${names.join(', ')}).`, next: 'Correct reply_to (or remove it), then set status: ready.' };
  }
  const sender = m.callback ? null : registry.lookup(m.from.toLowerCase());
  if (sender?.kind === 'ok') {
    if (!mayAddress(sender.definition, m.to)) {
      return {
        verdict: `will be refused: ${sender.definition.name} may not message ${m.to}`,
        reason: `${sender.definition.name} may not message ${m.to}: its can_message allows ${sender.definition.canMessage!.join(', ') || 'no agent'}.`,
        next: `Add ${m.to} to can_message in ${sender.definition.path}, then set status: ready.`,
      };
    }
    const sent = m.status === 'ready' ? recentSends(sender.definition.name, m.path, ctx) : 0;
    if (sent >= AGENT_MESSAGES_PER_HOUR) {
      return {
        verdict: 'will be refused: the loop guard',
        reason: `${sender.definition.name} has sent ${sent} messages to agents in the last hour (the limit is ${AGENT_MESSAGES_PER_HOUR}, to stop agents looping).`,
        next: 'Set it back to ready later, when the hour has moved on.',
      };
    }
  }
  const thread = lookup.kind === 'ok' ? threadProblem(m, lookup.definition, ctx) : null;
  if (thread) return { verdict: 'will fail: its thread cannot be used', reason: `${thread}.`, next: 'Correct or remove thread:, then set status: ready.' };
  return null;
}

/** The loop guard counts this daemon's queued messages from the agent in the last hour (queued_at is the stamp). */
function recentSends(sender: string, self: string, ctx: ExplainContext): number {
  if (!ctx.daemon) return 0; // A daemon starting afresh has counted nothing yet.
  const started = Date.parse(ctx.daemon.status?.startedAt ?? '') || 0;
  const since = Math.max(ctx.now.getTime() - 3_600_000, started);
  return ctx.scan.notes.filter((n) => {
    if (n.role !== 'inbound' || n.path === self || n.data.callback === true) return false;
    const at = Date.parse(str(n.data.queued_at) ?? '');
    return String(n.data.from ?? '').trim().toLowerCase() === sender && at > since;
  }).length;
}

/** run-message's openThread, read only: why the turn could not open its thread, or null. */
function threadProblem(m: InboundMessage, agent: AgentDefinition, ctx: ExplainContext): string | null {
  if (agent.mode === 'single-threaded') {
    const own = ctx.scan.notes.find((n) => n.path === singleThreadPath(agent.name));
    if (own && own.role !== 'thread') return `${own.path} is not a thread note (it has no agent/thread tag), so ${agent.name} cannot keep its conversation there; move it away`;
    if (own && own.data.agent !== agent.name) return `thread: ${own.path} belongs to the agent "${String(own.data.agent)}", not "${agent.name}"`;
    return null;
  }
  if (!m.thread) return null;
  const direct = targetToPath(m.thread);
  if (direct.split('/').includes('..') || direct.startsWith('/') || /^[a-z]:/i.test(direct)) return `thread: "[[${m.thread}]]" is outside the vault`;
  if (isIgnoredPath(direct) || isInFolders(direct, ctx.scan.templateFolders)) return `thread: "[[${m.thread}]]" points into a hidden or template folder`;
  const threads = ctx.scan.notes.filter((n) => n.role === 'thread');
  const base = direct.split('/').pop()!.toLowerCase();
  const found = ctx.files.read(direct) !== null ? threads.find((n) => n.path === direct) ?? null : threads.find((n) => n.path.split('/').pop()!.toLowerCase() === base);
  if (ctx.files.read(direct) !== null && !found) return `${direct} is not a thread note (it has no agent/thread tag)`;
  if (!found) return `thread: "[[${m.thread}]]" does not match any thread note`;
  if (found.data.agent !== agent.name) return `thread: ${found.path} belongs to the agent "${String(found.data.agent)}", not "${agent.name}"`;
  return null;
}

/** Everything between a ready/queued message and its turn, in the order the daemon meets it. */
function pendingBlockers(root: string, m: InboundMessage, ctx: ExplainContext): Blocker[] {
  // A note that is all frontmatter is most likely still being typed: intake waits before anything else.
  if (m.body === '') return [{ verdict: 'waits: the body is empty', reason: 'waits: the body is empty — a message with no text is taken to be still being written.', next: 'Write the message below the frontmatter and save.' }];
  const refused = refusal(root, m, ctx);
  if (refused) {
    const when = ctx.daemon ? 'The daemon marks it status: error with this reason when it reads it.' : 'When the daemon starts, it marks it status: error with this reason.';
    return [{ ...refused, reason: `${refused.reason} ${when}` }];
  }
  const blockers: Blocker[] = [];
  const lookup = ctx.scan.registry.lookup(m.to);
  const agent = lookup.kind === 'ok' ? lookup.definition : null;
  if (agent && !agent.enabled) {
    blockers.push({ verdict: `waits: the agent "${agent.name}" is disabled`, reason: `The agent ${agent.name} is disabled (enabled: false in ${agent.path}): its messages wait, queued, and run once it is enabled.`, next: `Set enabled: true in ${agent.path} (or remove the line).` });
  }
  if (!ctx.daemon) {
    blockers.push({ verdict: 'waits: the daemon is not running', reason: 'No Scriptorium daemon is running on this vault, so nothing runs; a daemon picks this message up when it starts.', next: 'Start the daemon: scriptorium start.' });
  }
  if (ctx.halt !== null) {
    blockers.push({ verdict: 'waits: halted', reason: `Halted: ${HALT_FILE} is present (${haltReason(ctx) ?? 'no reason given'}); no turn starts while it exists.`, next: `Run "scriptorium resume" (or delete ${HALT_FILE}).` });
  }
  if (agent) {
    const ledger = new Ledger();
    for (const turn of ctx.turns) ledger.record(turn);
    const hold = budgetHold(ledger, agent, ctx.now);
    // The running daemon's own word (status.json) stands in while the turns log has not caught up.
    const reason = hold?.reason ?? ctx.daemon?.status?.agents.find((a) => a.name === agent.name)?.hold;
    if (reason) {
      const limit = reason.split(/[\s:]/)[0]!; // daily_budget_usd or max_runs_per_hour
      blockers.push({ verdict: `waits: ${limit} reached`, reason: `waiting_for: ${reason}.`, next: `Raise ${limit} in ${agent.path}${hold ? `, or let it wait until ${isoLocal(hold.until)}` : ''}.` });
    }
  }
  if (m.retryAt && m.retryAt > ctx.now) {
    blockers.push({ verdict: 'waits: retrying after a temporary failure', reason: `Attempt ${m.retryAttempt ?? 1} failed with a temporary error; it runs again at ${isoLocal(m.retryAt)}${m.waitingFor ? ` (${m.waitingFor})` : ''}.` });
  }
  return blockers;
}

/** Nothing holds it: where it stands in its agent's lane, from status.json and the queued notes. */
function laneState(m: InboundMessage, ctx: ExplainContext): { verdict: string; reasons: string[] } {
  const status = ctx.daemon?.status ?? null;
  if (m.status === 'ready') {
    return { verdict: 'ready: about to be queued', reasons: ['status: ready and nothing holds it: the daemon queues it as soon as it sees the note (changes are read after 150 ms of quiet).', 'If it stays ready, save the note again: the daemon acts on changes.'] };
  }
  const reasons: string[] = [];
  const queuedAt = (data: FrontmatterData) => Date.parse(str(data.queued_at) ?? '') || Number.POSITIVE_INFINITY;
  const self = ctx.scan.notes.find((n) => n.path === m.path);
  const ahead = ctx.scan.notes.filter((n) => {
    if (n.role !== 'inbound' || n.path === m.path) return false;
    const other = readInbound(n.path, n.data, n.body);
    return other.ok && other.message.to === m.to && other.message.status === 'queued' && queuedAt(n.data) < queuedAt(self?.data ?? {});
  }).length;
  const agent: AgentStatus | undefined = status?.agents.find((a) => a.name === m.to);
  if (agent?.state === 'working') reasons.push(`${m.to} is running another message now${agent.queued > 0 ? `; ${agent.queued} wait in its lane` : ''}.`);
  const busy = status?.agents.filter((a) => a.state === 'working').length ?? 0;
  if (status && agent?.state !== 'working' && busy >= status.concurrency) reasons.push(`All ${status.concurrency} turn slots (concurrency) are busy with other agents.`);
  if (ahead > 0) {
    reasons.push(`By queued_at, ${ahead} queued message${ahead === 1 ? '' : 's'} for ${m.to} came first: an agent runs one turn at a time, in arrival order.`);
    return { verdict: `queued: behind ${ahead} other message${ahead === 1 ? '' : 's'} for ${m.to}`, reasons };
  }
  if (reasons.length > 0) return { verdict: 'queued: next in line', reasons };
  return { verdict: 'queued: starts in a moment', reasons: [`Nothing holds it and ${m.to} is free: its turn starts in a moment.`, 'If it stays queued, save the note again or restart the daemon.'] };
}

function explainDefinition(root: string, note: ScannedNote, ctx: ExplainContext): Explanation {
  const { path, data, body } = note;
  const parsed = parseDefinition(path, data, body, root);
  const name = parsed.ok ? parsed.definition.name : parsed.name;
  const shown = facts(data, ['enabled', 'mode', 'schedule', 'tz', 'next_run', 'daily_budget_usd', 'max_runs_per_hour', 'can_message', 'error']);
  shown.name = name;
  shown.daemon = ctx.daemon ? `running (pid ${ctx.daemon.pid})` : 'not running';
  const result = (verdict: string, reasons: string[], next?: string): Explanation => ({ note: path, role: 'definition', verdict, reasons, facts: shown, ...(next ? { next } : {}) });
  const problems = ctx.scan.definitionProblems.get(path) ?? [];
  const lookup = ctx.scan.registry.lookup(name);
  const owner = lookup.kind === 'ok' ? lookup.definition.path : lookup.kind === 'invalid' ? lookup.path : null;
  if (owner !== null && owner !== path) {
    return result(`not an agent: the name "${name}" is taken by ${owner}`, problems.map(invalidField), `Give it another name (name: in its frontmatter, or rename the note); ${owner} keeps "${name}".`);
  }
  if (!parsed.ok) {
    return result(`agent "${name}": invalid (${[...new Set(problems.map((p) => p.field))].join(', ')})`, [...problems.map(invalidField), 'Messages to it fail until it is fixed, and its schedule does not fire.'], 'Fix these fields and save the note: the daemon reads it again at once.');
  }
  const refused = checkPolicy(parsed.definition, ctx.policy, root);
  if (refused.length > 0) {
    return result(`agent "${name}": refused by the operator's policy`, [
      ...refused.map(invalidField),
      `The policy is read from ${ctx.policySource ?? 'the Scriptorium config'}; flags given to "scriptorium start" may allow more.`,
    ], 'Remove what the policy refuses, or ask the operator of this machine to allow it in the config.');
  }
  const d = parsed.definition;
  const reasons: string[] = [];
  if (!d.enabled) reasons.push('enabled: false — messages to it wait, queued, and its schedule does not fire.');
  reasons.push(...scheduleReasons(d, shown, ctx));
  const waiting = ctx.scan.notes.filter((n) => {
    if (n.role !== 'inbound') return false;
    const r = readInbound(n.path, n.data, n.body);
    return r.ok && r.message.to === d.name && (r.message.status === 'queued' || r.message.status === 'ready');
  }).length;
  if (waiting > 0) reasons.push(`${waiting} message${waiting === 1 ? ' to it waits' : 's to it wait'} (ready or queued).`);
  const ledger = new Ledger();
  for (const turn of ctx.turns) ledger.record(turn);
  const hold = budgetHold(ledger, d, ctx.now);
  if (hold) reasons.push(`Its messages wait: ${hold.reason}.`);
  if (!ctx.daemon) reasons.push('No daemon runs on this vault: nothing runs and no schedule fires until "scriptorium start".');
  if (ctx.halt !== null) reasons.push(`Halted (${haltReason(ctx) ?? HALT_FILE}): no turn starts and no schedule fires.`);
  if (str(data.error)) reasons.push('Its error: is left from an earlier reading; the daemon removes it when it reads the note again.');
  return result(`agent "${name}": valid${d.enabled ? ', enabled' : ', but disabled'}`, reasons, d.enabled ? undefined : `Set enabled: true (or remove the line) to run what waits.`);
}

function scheduleReasons(d: AgentDefinition, shown: Record<string, string>, ctx: ExplainContext): string[] {
  if (d.schedules.length === 0) return [];
  const reasons: string[] = [];
  const live = ctx.daemon?.status?.agents.find((a) => a.name === d.name);
  let next: Date | null = null;
  for (const entry of d.schedules) {
    const at = nextFire(entry.cron, d.tz, ctx.now);
    if (at && (!next || at < next)) next = at;
    const state = ctx.schedule[`${d.name}|${entry.cron}`];
    if (state?.lastFire) reasons.push(`"${entry.cron}" last fired at ${state.lastFire}${state.lastNote ? ` (${wikilink(state.lastNote)})` : ''}.`);
    if (state?.lastSkip) reasons.push(`"${entry.cron}" skipped a fire at ${state.lastSkip.at}: ${state.lastSkip.reason}.`);
  }
  if (!d.enabled) return reasons;
  const when = live?.nextRun ?? (next ? isoLocal(next) : undefined);
  if (when) {
    shown.next_run = when;
    reasons.unshift(`Its schedule fires next at ${when}${ctx.daemon ? '' : ', if a daemon runs then'}.`);
  }
  return reasons;
}

function explainThread(note: ScannedNote, ctx: ExplainContext): Explanation {
  const { path, data } = note;
  const shown = facts(data, ['agent', 'mode', 'status', 'session', 'turn_count', 'started_at', 'last_turn_at', 'cost_usd']);
  const agentName = str(data.agent) ?? '?';
  const reasons = [`A thread note is one Claude session of ${agentName}: its turns are appended here. It never wakes an agent itself.`];
  if (!str(data.session)) reasons.push('It has no session yet: the next turn starts one.');
  if (data.status === 'working') reasons.push(ctx.daemon ? 'A turn is running in it now.' : 'Its status says working, but no daemon runs: a turn was cut off; the daemon settles it at its next start.');
  const lookup = ctx.scan.registry.lookup(agentName.toLowerCase());
  if (lookup.kind === 'unknown') reasons.push(`No agent named "${agentName}" exists now.`);
  if (lookup.kind === 'ok' && lookup.definition.mode === 'single-threaded' && path !== singleThreadPath(lookup.definition.name)) {
    reasons.push(`${lookup.definition.name} is single-threaded and keeps its conversation in ${singleThreadPath(lookup.definition.name)}, not here: this thread is not continued.`);
  }
  const turns = str(data.turn_count) ?? '0';
  return { note: path, role: 'thread', verdict: `thread of ${agentName}: ${turns} turn${turns === '1' ? '' : 's'}, never runs`, reasons, facts: shown };
}

function explainOutbound(note: ScannedNote): Explanation {
  const { path, data } = note;
  const shown = facts(data, ['from', 'to', 'status', 'in_reply_to', 'thread', 'created', 'origin_message', 'callback_note', 'notify_status']);
  const from = str(data.from) ?? 'an agent';
  const answers = str(data.in_reply_to);
  const reasons = [`${data.status === 'error' ? 'A failure note' : 'A reply'} from ${from}${answers ? `, answering ${answers}` : ''}. Outbound notes never wake an agent, whatever their fields.`];
  if (data.status === 'error') reasons.push('The turn failed: the message note has the error; set its status back to ready to try again.');
  if (data.notify_status === 'pending') reasons.push('notify_status: pending — its webhook is sent when the daemon runs.');
  return { note: path, role: 'outbound', verdict: `${data.status === 'error' ? 'failure note' : 'reply'} from ${from}: never runs`, reasons, facts: shown, ...(answers ? { next: `See the message it answers: ${answers}.` } : {}) };
}

/** Whether a definition's only trouble is the operator's policy (it parses cleanly). */
function policyRefused(root: string, definitionPath: string, ctx: ExplainContext): boolean {
  const note = ctx.scan.notes.find((n) => n.path === definitionPath);
  if (!note) return false;
  const parsed = parseDefinition(note.path, note.data, note.body, root);
  return parsed.ok && checkPolicy(parsed.definition, ctx.policy, root).length > 0;
}

/** The last recorded turn of this message (by path, or by its reply when the note was renamed). */
function lastTurn(path: string, data: FrontmatterData, turns: TurnLogEntry[]): TurnLogEntry | undefined {
  const target = linkTarget(data.reply);
  const reply = target ? targetToPath(target) : undefined;
  return turns.filter((t) => t.message === path || (reply !== undefined && t.reply === reply)).at(-1);
}

/** The daemon's rule (daemon.ts): status.json's reason while it runs, else HALT.md's first line that says something. */
function haltReason(ctx: ExplainContext): string | null {
  if (ctx.halt === null) return null;
  if (ctx.daemon?.status?.halted && ctx.daemon.status.haltReason) return ctx.daemon.status.haltReason;
  const reason = haltReasonOf(ctx.halt);
  return reason === 'HALT.md is present' ? null : reason;
}

function invalidField(p: FieldProblem): string {
  return `invalid field ${p.field}: ${p.message}`;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The named fields that are set, as text (lists and maps as JSON). */
function facts(data: FrontmatterData, fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) {
    const v = data[field];
    if (v === undefined || v === null || v === '') continue;
    out[field] = str(v) ?? JSON.stringify(v);
  }
  return out;
}
