import { randomBytes } from 'node:crypto';
import type { AgentDefinition } from '../agents/definition.ts';
import { stringifyNote, type FrontmatterData } from '../vault/frontmatter.ts';
import { safeFileName } from '../vault/paths.ts';
import { ROLE_TAGS } from '../vault/tags.ts';
import { fileStamp, isoLocal } from '../util/clock.ts';
import { INBOX_DIR } from './new-message.ts';

export { MAX_DELEGATION_DEPTH } from './delegation-limit.ts';
/** A callback carries at most this much of the reply; the rest is one link away. */
export const CALLBACK_TEXT_LIMIT = 4000;
/** Messages one agent may send to agents per hour before it is stopped (a loop guard beyond depth). */
export const AGENT_MESSAGES_PER_HOUR = 30;

/** Whether `sender` may address `to`: `can_message` lists the agents it may write to; absent means all. */
export function mayAddress(sender: AgentDefinition, to: string): boolean {
  return sender.canMessage === undefined || sender.canMessage.map((n) => n.toLowerCase()).includes(to.toLowerCase());
}

export function newCorrelationId(from: string): string {
  return `${from}-${randomBytes(4).toString('hex')}`;
}

export interface Delegation {
  from: string;
  to: string;
  body: string;
  correlationId: string;
  /** Depth of the new message (the sender's depth + 1). */
  depth: number;
  at: Date;
  group?: { id: string; size: number; deadline: Date | undefined };
  /** The message the delegating agent was answering. */
  originMessage?: string | undefined;
}

/** The inbound note a delegation writes: stamped so the callback finds its way back. */
export function delegationNote(d: Delegation): { dir: string; base: string; content: string } {
  const fields: FrontmatterData = {
    tags: [ROLE_TAGS.inbound],
    to: d.to,
    from: d.from,
    reply_to: d.from,
    correlation_id: d.correlationId,
    delegation_depth: d.depth,
    status: 'ready',
    created: isoLocal(d.at),
  };
  if (d.originMessage) fields.origin_message = `[[${d.originMessage.replace(/\.md$/i, '')}]]`;
  if (d.group) {
    fields.group = d.group.id;
    fields.group_size = d.group.size;
    if (d.group.deadline) fields.group_deadline = isoLocal(d.group.deadline);
  }
  const words = d.body.trim().split(/\s+/).slice(0, 5).join(' ');
  return {
    dir: INBOX_DIR,
    base: safeFileName(`${fileStamp(d.at, true)} ${d.to} - from ${d.from} - ${words}`, 90),
    content: stringifyNote(fields, d.body.trim() + '\n'),
  };
}

/** One finished delegated message, as a callback reports it. */
export interface CallbackItem {
  agent: string;
  ok: boolean;
  correlationId: string | undefined;
  messagePath: string;
  threadPath: string | undefined;
  replyPath: string | undefined;
  /** The reply, or the reason it failed; empty while a group member is still pending. */
  text: string;
  originMessage?: string | undefined;
  pending?: boolean;
}

export interface Callback {
  to: string;
  depth: number;
  at: Date;
  items: CallbackItem[];
  group?: { id: string; size: number; why: 'complete' | 'failed' | 'deadline' };
}

/**
 * The inbound note that wakes the delegating agent. It never carries `reply_to`, so a callback can never
 * start another callback.
 */
export function callbackNote(cb: Callback): { dir: string; base: string; content: string } {
  const first = cb.items[0]!;
  const ok = cb.items.every((i) => i.ok && !i.pending);
  const link = (p: string | undefined) => (p ? `[[${p.replace(/\.md$/i, '')}]]` : undefined);
  const fields: FrontmatterData = {
    tags: [ROLE_TAGS.inbound],
    to: cb.to,
    from: cb.group ? 'scriptorium' : first.agent,
    callback: true,
    outcome: ok ? 'ok' : 'error',
    status: 'ready',
    delegation_depth: cb.depth,
    created: isoLocal(cb.at),
  };
  const origin = cb.items.find((i) => i.originMessage)?.originMessage;
  if (origin) fields.origin_message = link(origin);
  if (cb.group) {
    fields.group = cb.group.id;
    fields.correlation_id = cb.items.map((i) => i.correlationId).filter(Boolean) as string[];
    fields.source_message = cb.items.map((i) => link(i.messagePath)!);
  } else {
    fields.source_agent = first.agent;
    fields.source_thread = link(first.threadPath);
    fields.source_message = link(first.messagePath);
    fields.source_reply = link(first.replyPath);
    fields.correlation_id = first.correlationId;
  }
  const sections = cb.items.map((item) => {
    const state = item.pending ? 'still running' : item.ok ? 'done' : 'failed';
    const head = `## ${item.agent}: ${state}${item.correlationId ? ` (${item.correlationId})` : ''}`;
    const text = cut(item.text, item.replyPath, cb.group ? Math.floor(CALLBACK_TEXT_LIMIT / cb.items.length) : CALLBACK_TEXT_LIMIT);
    return `${head}\nMessage: ${link(item.messagePath)}${item.replyPath ? ` · reply: ${link(item.replyPath)}` : ''}\n\n${text}`.trim();
  });
  const intro = cb.group
    ? `Results of the group "${cb.group.id}" (${cb.items.filter((i) => !i.pending).length} of ${cb.group.size} finished${cb.group.why === 'deadline' ? '; the deadline passed' : cb.group.why === 'failed' ? '; one failed' : ''}).`
    : `${first.agent} ${first.ok ? 'finished' : 'could not finish'} the message you sent.`;
  const title = cb.group ? `group ${cb.group.id}` : `from ${first.agent}`;
  return {
    dir: INBOX_DIR,
    base: safeFileName(`${fileStamp(cb.at, true)} ${cb.to} - callback ${title}`, 90),
    content: stringifyNote(fields, `${intro}\n\n${sections.join('\n\n')}\n`),
  };
}

function cut(text: string, replyPath: string | undefined, limit: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= limit) return trimmed;
  const more = replyPath ? ` The full reply: [[${replyPath.replace(/\.md$/i, '')}]].` : '';
  return `${trimmed.slice(0, limit)}…\n\n(cut at ${limit} characters.${more})`;
}
