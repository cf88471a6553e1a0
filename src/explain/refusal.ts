import { parseDefinition, type AgentDefinition } from '../agents/definition.ts';
import { checkPolicy } from '../agents/policy.ts';
import { AGENT_MESSAGES_PER_HOUR, MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { singleThreadPath } from '../threads/thread-note.ts';
import { targetToPath } from '../vault/links.ts';
import { isIgnoredPath } from '../vault/paths.ts';
import { isInFolders } from '../vault/template-folders.ts';
import { invalidField, str } from './fields.ts';
import type { ExplainContext } from './types.ts';

/** What stops (or holds) a message, in the daemon's order; the first one decides the verdict. */
export interface Blocker {
  verdict: string;
  reason: string;
  next?: string;
}

/**
 * Why the daemon would refuse the message outright (intake's checks after the empty-body wait):
 * unknown or invalid agent, depth, an unknown reply_to, can_message, the loop guard, a thread it cannot use.
 */
export function refusal(root: string, m: InboundMessage, ctx: ExplainContext): Blocker | null {
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

/** Whether a definition's only trouble is the operator's policy (it parses cleanly). */
function policyRefused(root: string, definitionPath: string, ctx: ExplainContext): boolean {
  const note = ctx.scan.notes.find((n) => n.path === definitionPath);
  if (!note) return false;
  const parsed = parseDefinition(note.path, note.data, note.body, root);
  return parsed.ok && checkPolicy(parsed.definition, ctx.policy, root).length > 0;
}
