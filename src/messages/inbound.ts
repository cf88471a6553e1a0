import { show } from '../agents/definition.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import { linkTarget } from '../vault/links.ts';
import { slugify } from '../vault/paths.ts';
import { MESSAGE_STATUSES, readStatus, type MessageStatus } from './status.ts';

export interface InboundMessage {
  path: string;
  to: string;
  from: string;
  status: MessageStatus;
  replyTo: string | undefined;
  correlationId: string | undefined;
  delegationDepth: number;
  /** Link target of `thread:` (a multi-threaded agent continues that thread). */
  thread: string | undefined;
  callback: boolean;
  /** Why it waits (a budget or rate limit), as Scriptorium wrote it. */
  waitingFor?: string | undefined;
  /** After a transient failure: when it runs again, and how many attempts failed so far. */
  retryAt?: Date | undefined;
  retryAttempt?: number;
  /** For delegated messages and callbacks: the message whose turn started the delegation. */
  originMessage?: string | undefined;
  /** Link target of `answer:`: the reply note in which the user answered the agent's question (its turn resumes with it). */
  answer?: string | undefined;
  /** Fan-in: delegated messages sharing a group wake the delegating agent once. */
  group?: { id: string; size: number; deadline: Date | undefined } | undefined;
  body: string;
}

export type InboundReading =
  | { ok: true; message: InboundMessage }
  | { ok: false; field: string; error: string; status: MessageStatus | null };

/** An agent's name from a name or a link to its note; null when nothing of it is a name. */
function agentAddress(value: string): string | null {
  const target = (linkTarget(value) ?? value).split('/').pop()!.replace(/\.md$/i, '');
  if (!/[a-z0-9]/i.test(target.normalize('NFKD'))) return null;
  return slugify(target);
}

function replyToOf(value: unknown): string | undefined {
  const target = typeof value === 'number' ? String(value) : linkTarget(value);
  return target ? (agentAddress(target) ?? undefined) : undefined;
}

function readGroup(data: FrontmatterData): InboundMessage['group'] {
  const id = typeof data.group === 'string' || typeof data.group === 'number' ? String(data.group).trim() : '';
  if (!id || data.callback === true) return undefined;
  const size = Number(data.group_size);
  const deadline = typeof data.group_deadline === 'string' ? new Date(data.group_deadline) : undefined;
  return {
    id,
    size: Number.isInteger(size) && size > 0 ? size : 1,
    deadline: deadline && !Number.isNaN(deadline.getTime()) ? deadline : undefined,
  };
}

/** Read an inbound note's fields; a problem names the field and what was expected. */
export function readInbound(path: string, data: FrontmatterData, body: string): InboundReading {
  const status = readStatus(data.status);
  if (status === null) {
    return {
      ok: false,
      field: 'status',
      error: `status ${show(data.status)} is not one of ${MESSAGE_STATUSES.join(', ')}`,
      status: null,
    };
  }
  const text = (field: string): string | undefined => {
    const v = data[field];
    if (typeof v === 'string' && v.trim()) return v.trim();
    if (typeof v === 'number') return String(v);
    return undefined;
  };
  // Fields that drive routing must have the right type: silently dropping a wrong one would, say, lose
  // a callback or start a new thread.
  // (A group callback carries a list of correlation ids: its own, valid form.)
  const isCallback = data.callback === true || data.callback === 'true';
  for (const field of isCallback ? ['from'] : ['from', 'correlation_id']) {
    const v = data[field];
    if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'number') {
      return { ok: false, field, error: `${field}: expected text, found ${show(v)}`, status };
    }
  }
  for (const field of ['reply_to', 'thread']) {
    const v = data[field];
    if (v !== undefined && v !== null && v !== '' && linkTarget(v) === null) {
      return { ok: false, field, error: `${field}: expected ${field === 'thread' ? 'a link to a thread note' : "an agent's name"}, found ${show(v)}`, status };
    }
  }
  const rawTo = data.to;
  const to = typeof rawTo === 'string' ? rawTo.trim() : (linkTarget(rawTo) ?? undefined);
  const address = to ? agentAddress(to) : null;
  if (to && !address) {
    return { ok: false, field: 'to', error: `to: ${show(rawTo)} is not an agent's name (names are letters, digits, "-" and "_")`, status };
  }
  if (!to || !address) {
    return {
      ok: false,
      field: 'to',
      error: rawTo === undefined || rawTo === null || rawTo === '' ? 'to: is missing: name the agent this message is for' : `to: expected an agent's name, found ${show(rawTo)}`,
      status,
    };
  }
  const depthValue = data.delegation_depth;
  let delegationDepth = 0;
  if (depthValue !== undefined && depthValue !== null && depthValue !== '') {
    const n = typeof depthValue === 'number' || typeof depthValue === 'string' ? Number(depthValue) : NaN;
    if (!Number.isInteger(n) || n < 0) {
      return { ok: false, field: 'delegation_depth', error: `delegation_depth: expected a whole number from 0, found ${show(depthValue)}`, status };
    }
    delegationDepth = n;
  }
  return {
    ok: true,
    message: {
      path,
      // `[[researcher]]` or `[[Agents/Research Bot]]` (a link to the agent note, as Obsidian completes
      // it) is as good as the name: the note's name, slugified as agent names are.
      to: address,
      from: text('from') ?? 'user',
      status,
      replyTo: replyToOf(data.reply_to),
      correlationId: text('correlation_id'),
      delegationDepth,
      thread: linkTarget(data.thread) ?? undefined,
      callback: data.callback === true || data.callback === 'true',
      group: readGroup(data),
      originMessage: linkTarget(data.origin_message) ?? undefined,
      waitingFor: typeof data.waiting_for === 'string' ? data.waiting_for : undefined,
      answer: linkTarget(data.answer) ?? undefined,
      retryAt: typeof data.retry_at === 'string' && !Number.isNaN(new Date(data.retry_at).getTime()) ? new Date(data.retry_at) : undefined,
      retryAttempt: Number.isInteger(data.retry_attempt) ? (data.retry_attempt as number) : 0,
      body: body.trim(),
    },
  };
}
