import { parseDefinition, type AgentDefinition } from '../agents/definition.ts';
import { checkPolicy } from '../agents/policy.ts';
import { admissionRefusal, type Refusal } from '../intake/admission.ts';
import { AGENT_MESSAGES_PER_HOUR } from '../messages/delegation.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { singleThreadPath } from '../threads/thread-note.ts';
import { resolveThreadLink, threadTextProblem } from '../turns/open-thread.ts';
import { invalidField, str } from './fields.ts';
import type { ExplainContext } from './types.ts';

/** What stops (or holds) a message, in the daemon's order; the first one decides the verdict. */
export interface Blocker {
  verdict: string;
  reason: string;
  next?: string;
}

/**
 * Why the daemon would refuse the message outright (intake's admission, the very same rules and order:
 * intake/admission.ts), then whether its turn could open its thread (turns/open-thread.ts).
 */
export function refusal(root: string, m: InboundMessage, ctx: ExplainContext): Blocker | null {
  const registry = ctx.scan.registry;
  const refused = admissionRefusal(m, { registry, sentInLastHour: (sender) => recentSends(sender, m.path, ctx) });
  if (refused) return blocker(root, refused, ctx);
  const lookup = registry.lookup(m.to);
  const thread = lookup.kind === 'ok' ? threadProblem(root, m, lookup.definition, ctx) : null;
  if (thread) return { verdict: 'will fail: its thread cannot be used', reason: `${thread}.`, next: 'Correct or remove thread:, then set status: ready.' };
  return null;
}

/** A refusal in explain's words: what will happen, why, and what to do. */
function blocker(root: string, r: Refusal, ctx: ExplainContext): Blocker {
  switch (r.kind) {
    case 'unknown-agent':
      return {
        verdict: `will fail: no agent named "${r.to}"`,
        reason: `${r.error}.`,
        next: r.known.length ? `Set to: to one of ${r.known.join(', ')} (or create the agent), then set status: ready.` : `Create the agent (Agents/${r.to}.md with tags: [agent/definition]), then set status: ready.`,
      };
    case 'invalid-agent': {
      const policy = policyRefused(root, r.path, ctx);
      return {
        verdict: policy ? `will fail: the agent "${r.to}" is refused by the operator's policy` : `will fail: the agent "${r.to}" has an invalid definition`,
        reason: `The definition ${r.path} is ${policy ? "refused by the operator's policy" : 'invalid'}: ${r.problems.map(invalidField).join('; ')}.`,
        next: `Fix ${r.path}, then set this message back to ready.`,
      };
    }
    case 'depth':
      return {
        verdict: 'will be refused: past the delegation depth limit',
        reason: `${r.error}.`,
        next: 'A chain this deep is most likely agents looping; if it is not, lower delegation_depth and set status: ready.',
      };
    case 'reply-to':
      return { verdict: 'will be refused: reply_to names no agent', reason: `${r.error}.`, next: 'Correct reply_to (or remove it), then set status: ready.' };
    case 'can-message':
      return {
        verdict: `will be refused: ${r.sender.name} may not message ${r.to}`,
        reason: `${r.error}.`,
        next: `Add ${r.to} to can_message in ${r.sender.path}, then set status: ready.`,
      };
    case 'loop-guard':
      return {
        verdict: 'will be refused: the loop guard',
        reason: `${r.sender} has sent ${r.sent} messages to agents in the last hour (the limit is ${AGENT_MESSAGES_PER_HOUR}, to stop agents looping).`,
        next: 'Set it back to ready later, when the hour has moved on.',
      };
  }
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

/** The turn's openThread, read only (the same resolution and checks): why it could not open its thread, or null. */
function threadProblem(root: string, m: InboundMessage, agent: AgentDefinition, ctx: ExplainContext): string | null {
  let threadPath: string;
  if (agent.mode === 'single-threaded') threadPath = singleThreadPath(agent.name);
  else if (m.thread) {
    const threads = ctx.scan.notes.filter((n) => n.role === 'thread').map((n) => n.path);
    const resolved = resolveThreadLink(m.thread, { root, exists: (p) => ctx.files.read(p) !== null, threads, templateFolders: ctx.scan.templateFolders });
    if ('error' in resolved) return resolved.error;
    threadPath = resolved.path;
  } else return null;
  // No note there yet: the turn starts one.
  const raw = ctx.files.read(threadPath);
  return raw === null ? null : threadTextProblem(threadPath, raw, agent);
}

/** Whether a definition's only trouble is the operator's policy (it parses cleanly). */
function policyRefused(root: string, definitionPath: string, ctx: ExplainContext): boolean {
  const note = ctx.scan.notes.find((n) => n.path === definitionPath);
  if (!note) return false;
  const parsed = parseDefinition(note.path, note.data, note.body, root);
  return parsed.ok && checkPolicy(parsed.definition, ctx.policy, root).length > 0;
}
