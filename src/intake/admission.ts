import type { AgentDefinition, FieldProblem } from '../agents/definition.ts';
import type { AgentLookup } from '../agents/registry.ts';
import { AGENT_MESSAGES_PER_HOUR, MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import type { InboundMessage } from '../messages/inbound.ts';

/** What admission needs to know: the agents, and how many messages an agent sent to agents lately. */
export interface AdmissionView {
  registry: { lookup(name: string): AgentLookup; names(): string[] };
  /** Messages the agent sent to agents in the last hour (the loop guard's count). */
  sentInLastHour(agent: string): number;
}

/** Why a message is refused outright; `error` is the sentence the daemon writes on the note. */
export type Refusal = { error: string } & (
  | { kind: 'unknown-agent'; to: string; known: string[] }
  | { kind: 'invalid-agent'; to: string; path: string; problems: FieldProblem[] }
  | { kind: 'depth'; depth: number }
  | { kind: 'reply-to'; replyTo: string; known: string[] }
  | { kind: 'can-message'; sender: AgentDefinition; to: string }
  | { kind: 'loop-guard'; sender: string; sent: number }
);

/**
 * The rules a message must pass to be taken in, in the order they are checked: a known and valid agent,
 * the depth limit, a known `reply_to`, the sender's `can_message`, and the loop guard. The daemon (intake)
 * and `scriptorium explain` both decide with this; null when the message may run.
 */
export function admissionRefusal(message: InboundMessage, view: AdmissionView): Refusal | null {
  const { registry } = view;
  const lookup = registry.lookup(message.to);
  if (lookup.kind === 'unknown') {
    const known = registry.names();
    return { kind: 'unknown-agent', to: message.to, known, error: `to: no agent named "${message.to}"${known.length ? ` (agents: ${known.join(', ')})` : ' (no agent definitions found in the vault)'}` };
  }
  if (lookup.kind === 'invalid') {
    return {
      kind: 'invalid-agent',
      to: message.to,
      path: lookup.path,
      problems: lookup.problems,
      error: `the agent "${message.to}" has an invalid definition (${lookup.path}): ${lookup.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}. Fix it, then set this message back to ready.`,
    };
  }
  if (message.delegationDepth > MAX_DELEGATION_DEPTH) {
    return { kind: 'depth', depth: message.delegationDepth, error: `delegation_depth ${message.delegationDepth} is past the limit of ${MAX_DELEGATION_DEPTH}: the chain of agents messaging agents stops here` };
  }
  if (message.replyTo && registry.lookup(message.replyTo.toLowerCase()).kind === 'unknown') {
    const known = registry.names();
    return { kind: 'reply-to', replyTo: message.replyTo, known, error: `reply_to: no agent named "${message.replyTo}" to call back (agents: ${known.join(', ')})` };
  }
  // A callback is Scriptorium's own note: no sender rules apply.
  if (message.callback) return null;
  const sender = registry.lookup(message.from.toLowerCase());
  if (sender.kind !== 'ok') return null;
  if (!mayAddress(sender.definition, message.to)) {
    return {
      kind: 'can-message',
      sender: sender.definition,
      to: message.to,
      error: `${sender.definition.name} may not message ${message.to}: its can_message allows ${sender.definition.canMessage!.join(', ') || 'no agent'}`,
    };
  }
  // Only a message being sent counts against the limit: one already queued was counted when it was sent.
  const sent = message.status === 'ready' ? view.sentInLastHour(sender.definition.name) : 0;
  if (sent >= AGENT_MESSAGES_PER_HOUR) {
    return {
      kind: 'loop-guard',
      sender: sender.definition.name,
      sent,
      error: `${sender.definition.name} has sent ${AGENT_MESSAGES_PER_HOUR} messages to agents in the last hour, the limit that stops agents looping; this one was not run. Set it back to ready later to run it.`,
    };
  }
  return null;
}
