import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../../../src/agents/registry.ts';
import { loadDefinition } from '../../../src/agents/load-definition.ts';
import { SAFE_POLICY } from '../../../src/agents/policy.ts';
import { admissionRefusal, type AdmissionView } from '../../../src/intake/admission.ts';
import { AGENT_MESSAGES_PER_HOUR, MAX_DELEGATION_DEPTH } from '../../../src/messages/delegation.ts';
import { readInbound, type InboundMessage } from '../../../src/messages/inbound.ts';

/** A registry holding these definitions (name → frontmatter), read as the daemon reads them. */
function registryOf(defs: Record<string, Record<string, unknown>>): AgentRegistry {
  const registry = new AgentRegistry();
  for (const [name, fields] of Object.entries(defs)) {
    const path = `Agents/${name}.md`;
    registry.set(path, loadDefinition(path, { tags: ['agent/definition'], ...fields }, `You are ${name}.`, '/vault', SAFE_POLICY));
  }
  return registry;
}

function message(fields: Record<string, unknown>): InboundMessage {
  const reading = readInbound('Inbox/m.md', { tags: ['agent/message/inbound'], ...fields }, 'Hello.');
  if (!reading.ok) throw new Error(reading.error);
  return reading.message;
}

const view = (registry: AgentRegistry, sent = 0): AdmissionView & { asked: string[] } => {
  const asked: string[] = [];
  return { registry, asked, sentInLastHour: (agent) => (asked.push(agent), sent) };
};

const team = registryOf({ boss: { can_message: ['helper'] }, helper: {}, worker: {}, broken: { max_turns: 'forty' } });

describe('admission', () => {
  it('a message from a person to a valid agent is admitted', () => {
    expect(admissionRefusal(message({ to: 'helper' }), view(team))).toBeNull();
  });

  it('an unknown agent is refused with the agents there are', () => {
    const refused = admissionRefusal(message({ to: 'nobody' }), view(team));
    expect(refused).toMatchObject({ kind: 'unknown-agent', to: 'nobody', known: ['boss', 'broken', 'helper', 'worker'] });
    expect(refused?.error).toBe('to: no agent named "nobody" (agents: boss, broken, helper, worker)');
    expect(admissionRefusal(message({ to: 'nobody' }), view(new AgentRegistry()))?.error).toBe('to: no agent named "nobody" (no agent definitions found in the vault)');
  });

  it('an agent with an invalid definition is refused, naming the definition and its problem', () => {
    const refused = admissionRefusal(message({ to: 'broken' }), view(team));
    expect(refused).toMatchObject({ kind: 'invalid-agent', path: 'Agents/broken.md' });
    expect(refused?.error).toMatch(/^the agent "broken" has an invalid definition \(Agents\/broken\.md\): max_turns: /);
  });

  it('past the depth limit is refused; at the limit it still runs', () => {
    expect(admissionRefusal(message({ to: 'helper', delegation_depth: MAX_DELEGATION_DEPTH + 1 }), view(team))).toMatchObject({ kind: 'depth', depth: MAX_DELEGATION_DEPTH + 1 });
    expect(admissionRefusal(message({ to: 'helper', delegation_depth: MAX_DELEGATION_DEPTH }), view(team))).toBeNull();
  });

  it('a reply_to naming no agent is refused: nobody could be called back', () => {
    expect(admissionRefusal(message({ to: 'helper', reply_to: 'ghost' }), view(team))).toMatchObject({ kind: 'reply-to', replyTo: 'ghost' });
  });

  it("a sender's can_message limits whom it may address", () => {
    expect(admissionRefusal(message({ to: 'helper', from: 'boss' }), view(team))).toBeNull();
    const refused = admissionRefusal(message({ to: 'worker', from: 'boss' }), view(team));
    expect(refused).toMatchObject({ kind: 'can-message', to: 'worker' });
    expect(refused?.error).toBe('boss may not message worker: its can_message allows helper');
  });

  it('the loop guard stops an agent that sent the hourly limit, counting only messages being sent', () => {
    const atLimit = view(team, AGENT_MESSAGES_PER_HOUR);
    expect(admissionRefusal(message({ to: 'helper', from: 'worker' }), atLimit)).toMatchObject({ kind: 'loop-guard', sender: 'worker', sent: AGENT_MESSAGES_PER_HOUR });
    expect(atLimit.asked).toEqual(['worker']);
    // Already queued (counted when it was sent), or from a person: not counted again.
    expect(admissionRefusal(message({ to: 'helper', from: 'worker', status: 'queued' }), atLimit)).toBeNull();
    expect(admissionRefusal(message({ to: 'helper' }), atLimit)).toBeNull();
    expect(admissionRefusal(message({ to: 'helper', from: 'worker' }), view(team, AGENT_MESSAGES_PER_HOUR - 1))).toBeNull();
  });

  it("a callback is Scriptorium's own note: no sender rules apply", () => {
    const cb = message({ to: 'worker', from: 'boss', callback: true });
    expect(admissionRefusal(cb, view(team, AGENT_MESSAGES_PER_HOUR))).toBeNull();
  });

  it('the rules are checked in order: the first that fails is the one reported', () => {
    // Unknown agent and past the depth limit: the agent comes first.
    expect(admissionRefusal(message({ to: 'nobody', delegation_depth: 99 }), view(team))?.kind).toBe('unknown-agent');
    // Depth before reply_to, reply_to before can_message.
    expect(admissionRefusal(message({ to: 'worker', from: 'boss', reply_to: 'ghost', delegation_depth: 99 }), view(team))?.kind).toBe('depth');
    expect(admissionRefusal(message({ to: 'worker', from: 'boss', reply_to: 'ghost' }), view(team))?.kind).toBe('reply-to');
  });
});
