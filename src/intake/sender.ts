import type { InboundMessage } from '../messages/inbound.ts';
import type { Writer } from '../turns/turn-writes.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import { targetToPath, wikilink } from '../vault/links.ts';

/** A message as Scriptorium attributes it, with the fields to write on its note; or why it is refused. */
export type Attribution = { ok: true; message: InboundMessage; stamp: FrontmatterData } | { ok: false; error: string };

/**
 * Who sent a message is Scriptorium's to say, not the note's. A note that no turn wrote is taken as it
 * reads (a person, a sync, `scriptorium send`: none of them gets more than a person's message). A note an
 * agent's turn wrote is that agent's message whatever it claims: `from`, `delegation_depth` and
 * `origin_message` are stamped from the turn, and a note claiming to be someone else's, to be one of
 * Scriptorium's callbacks, or to call back another agent is refused. (A fan-in `group` stays: its one
 * callback goes to the writer itself.)
 */
export function attribute(message: InboundMessage, data: FrontmatterData, writer: Writer | undefined): Attribution {
  if (!writer) return { ok: true, message, stamp: {} };
  const by = `this note was written by ${writer.agent}'s turn (answering ${writer.origin})`;
  const claimed = data.from === undefined || data.from === null || data.from === '' ? undefined : String(data.from).trim();
  if (claimed !== undefined && claimed.toLowerCase() !== writer.agent.toLowerCase()) {
    return { ok: false, error: `from: says "${claimed}", but ${by}: a message an agent writes is always from that agent, so it was not run` };
  }
  if (message.callback) return { ok: false, error: `callback: only Scriptorium writes callbacks, and ${by}; it was not run` };
  if (message.replyTo && message.replyTo.toLowerCase() !== writer.agent.toLowerCase()) {
    return { ok: false, error: `reply_to: names "${message.replyTo}", but ${by}: an agent can ask for its own callback only, so it was not run` };
  }
  // Deeper than the turn's next hop is allowed (it only brings the limit nearer); shallower is not.
  const depth = Math.max(message.delegationDepth, writer.depth + 1);
  const origin = targetToPath(writer.origin);
  const stamp: FrontmatterData = {};
  if (claimed !== writer.agent) stamp.from = writer.agent;
  if (data.delegation_depth !== depth) stamp.delegation_depth = depth;
  if (!message.originMessage || targetToPath(message.originMessage) !== origin) stamp.origin_message = wikilink(origin);
  return { ok: true, message: { ...message, from: writer.agent, delegationDepth: depth, originMessage: origin.replace(/\.md$/i, '') }, stamp };
}
