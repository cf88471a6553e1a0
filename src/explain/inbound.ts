import { DEFAULT_CONFIG } from '../config/operator-config.ts';
import { CHANGED_AFTER_RUN } from '../messages/changed-after-run.ts';
import { budgetHold, Ledger } from '../state/ledger.ts';
import type { AgentStatus } from '../state/status-file.ts';
import type { TurnLogEntry } from '../state/turns-log.ts';
import { MAX_DELEGATION_DEPTH } from '../messages/delegation.ts';
import { readInbound, type InboundMessage } from '../messages/inbound.ts';
import { isoLocal } from '../util/clock.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath } from '../vault/links.ts';
import type { ScannedNote } from '../vault/scan.ts';
import { facts, str } from './fields.ts';
import { HALT_FILE, haltReason } from './halt.ts';
import { vaultStop } from './spending.ts';
import { refusal, type Blocker } from './refusal.ts';
import { tooBigError } from '../vault/note-size.ts';
import type { ExplainContext, Explanation } from './types.ts';

export function explainInbound(root: string, note: ScannedNote, ctx: ExplainContext): Explanation {
  const { path, data, body } = note;
  const shown = facts(data, ['status', 'to', 'from', 'thread', 'reply', 'queued_at', 'started_at', 'finished_at', 'waiting_for', 'retry_at', 'retry_attempt', 'delegation_depth', 'reply_to', 'correlation_id', 'callback', 'outcome', 'origin_message', 'callback_note', 'callback_skipped', 'changed_after_run', 'error']);
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
    if (reading.status === 'waiting') return result('waits for your answer', [`${invalid}.`], `Fix ${reading.field}.`);
    const ended = explainEnded(reading.status, data, ctx);
    return result(ended.verdict, [...ended.reasons, `To run it again, first fix ${invalid}.`], `Fix ${reading.field}, then set status: ready.`);
  }
  const m = reading.message;
  shown.status = m.status; // absent means ready
  const agent = ctx.scan.registry.lookup(m.to);
  if (agent.kind === 'ok') shown.agent = `${agent.definition.name} (${agent.definition.path})`;
  const turn = lastTurn(path, data, [...(ctx.noteTurns ?? []), ...ctx.turns]);
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
      const changed = m.status === 'cancelled' ? undefined : changedAfterRun(data);
      if (changed) {
        ended.verdict = `${ended.verdict}; changed after its turn read it`;
        ended.next = 'Set status: ready to run the note as it is now.';
      }
      const reasons = [...(changed ? [changed] : []), ...ended.reasons, ...chain];
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
    case 'waiting': {
      const question = str(data.question);
      return result('waits for your answer', [
        `Its agent ${m.to} asked you a question${question ? ` in ${question}` : ''}; its turn ended, and the same conversation goes on with your answer.`,
        ...chain,
      ], `Open ${question ?? 'the reply note'}, write your answer under "## Your answer", then set that note's status: ready.`);
    }
    case 'running': {
      if (ctx.daemon) {
        const since = str(data.started_at);
        const changed = changedAfterRun(data);
        return result(
          `running${since ? ` since ${since}` : ''}${changed ? '; changed after its turn read it' : ''}`,
          [`A turn of ${m.to} is running now${m.thread ? ` in [[${m.thread}]]` : ''}; the reply and status: done (or error) are written when it ends.`, ...(changed ? [changed] : []), ...chain],
          changed ? 'Once it has ended, set status: ready to run the note as it is now.' : undefined,
        );
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
  if (status === 'cancelled') {
    return {
      verdict: 'cancelled: Scriptorium skips it',
      reasons: ['status: cancelled — it is not run; a turn running when it was cancelled was stopped (its reply note says so), and a delegated message still calls back, as failed.'],
      next: 'Set status: ready to run it.',
    };
  }
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

/** What `changed_after_run` says, as a reason; undefined when the field is not set. */
function changedAfterRun(data: FrontmatterData): string | undefined {
  const said = str(data[CHANGED_AFTER_RUN]);
  return said ? `The note changed after its turn read it: the turn ran the text as it was then, and the change has not run (${CHANGED_AFTER_RUN}: ${said}).` : undefined;
}

/** Delegation context: a callback, or who is called back when it ends. */
function delegationReasons(m: InboundMessage): string[] {
  if (m.callback) return [`This is a callback: ${m.from} reports on work ${m.to} delegated; it runs as a turn of ${m.to}.`];
  if (!m.replyTo) return [];
  if (m.delegationDepth >= MAX_DELEGATION_DEPTH) return [`When it ends, no callback goes to ${m.replyTo}: delegation depth ${m.delegationDepth} reached the limit of ${MAX_DELEGATION_DEPTH}.`];
  return [`When it ends (done or error), ${m.replyTo} is called back${m.group ? ` (once for the group "${m.group.id}")` : ''}.`];
}

/** Everything between a ready/queued message and its turn, in the order the daemon meets it. */
function pendingBlockers(root: string, m: InboundMessage, ctx: ExplainContext): Blocker[] {
  // Over the size limit: intake refuses it before anything else, from its first 64 KB.
  const size = ctx.scan.oversized.get(m.path);
  if (size !== undefined) {
    const when = ctx.daemon ? 'The daemon marks it status: error with this reason when it reads it.' : 'When the daemon starts, it marks it status: error with this reason.';
    return [{ verdict: 'will not run: over the size limit (max_message_bytes)', reason: `${tooBigError(size, ctx.scan.maxNoteBytes)} ${when}`, next: 'Shorten it (move long material into another note and link to it), then save; or raise max_message_bytes in the operator config.' }];
  }
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
  // The daemon's order (turns/lane-checks.ts): the vault's caps before the agent's own limits.
  const stopped = vaultStop(ctx);
  if (stopped) {
    const where = ctx.policySource ? ` (${ctx.policySource})` : '';
    blockers.push({
      verdict: `waits: vault ${stopped.cap} reached`,
      reason: `waiting_for: ${stopped.reason}. It is the operator's cap on the whole vault: no agent's turn starts until the ${stopped.cap === 'daily_budget_usd' ? 'day' : 'month'} is over, and then this message runs by itself.`,
      next: `Raise ${stopped.cap} in the operator config${where} and restart the daemon${stopped.until ? `, or let it wait until ${isoLocal(stopped.until)}` : ''}.`,
    });
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
    const quiet = `${((ctx.quietForMs ?? DEFAULT_CONFIG.quietForMs) / 1000).toString()} s`;
    return {
      verdict: 'ready: about to be queued',
      reasons: [
        `status: ready and nothing holds it: the daemon takes it once the note has been quiet for ${quiet} (quiet_for; a note you type into is saved every few seconds), or at once when it was renamed into place (scriptorium send, a script, a sync tool).`,
        'If it stays ready, save the note again: the daemon acts on changes.',
      ],
    };
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

/** The last recorded turn of this message (by path, or by its reply when the note was renamed). */
function lastTurn(path: string, data: FrontmatterData, turns: TurnLogEntry[]): TurnLogEntry | undefined {
  const target = linkTarget(data.reply);
  const reply = target ? targetToPath(target) : undefined;
  return turns.filter((t) => t.message === path || (reply !== undefined && t.reply === reply)).at(-1);
}
