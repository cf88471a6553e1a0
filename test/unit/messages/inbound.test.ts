import { describe, it, expect } from 'vitest';
import { readInbound, type InboundMessage } from '../../../src/messages/inbound.ts';
import { parseFrontmatter, type FrontmatterData } from '../../../src/vault/frontmatter.ts';

function ok(data: FrontmatterData, body = 'hi'): InboundMessage {
  const reading = readInbound('Inbox/q.md', data, body);
  if (!reading.ok) throw new Error(reading.error);
  return reading.message;
}

describe('readInbound', () => {
  it('reads a minimal message: from defaults to user, status to ready, depth to 0', () => {
    expect(ok({ to: 'researcher' }, '\n\n  What changed?  \n\n')).toEqual({
      path: 'Inbox/q.md',
      to: 'researcher',
      from: 'user',
      status: 'ready',
      replyTo: undefined,
      correlationId: undefined,
      delegationDepth: 0,
      thread: undefined,
      callback: false,
      retryAttempt: 0,
      body: 'What changed?',
    });
  });

  it('reads every field', () => {
    expect(
      ok(
        { to: 'Researcher', from: 'planner', status: 'Queued', reply_to: 'planner', correlation_id: 7, delegation_depth: '2', thread: '[[Threads/r/x]]', callback: true },
        'Body',
      ),
    ).toMatchObject({
      to: 'researcher',
      from: 'planner',
      status: 'queued',
      replyTo: 'planner',
      correlationId: '7',
      delegationDepth: 2,
      thread: 'Threads/r/x',
      callback: true,
    });
  });

  it('a missing `to` says it is missing and what to write', () => {
    expect(readInbound('Inbox/q.md', {}, 'hi')).toEqual({
      ok: false,
      field: 'to',
      error: 'to: is missing: name the agent this message is for',
      status: 'ready',
    });
    expect(readInbound('Inbox/q.md', { to: '' }, 'hi')).toMatchObject({ ok: false, field: 'to', error: 'to: is missing: name the agent this message is for' });
  });

  it('a `to` that is not a name says what was found', () => {
    expect(readInbound('Inbox/q.md', { to: 5 }, 'hi')).toMatchObject({ ok: false, field: 'to', error: "to: expected an agent's name, found number 5" });
    expect(readInbound('Inbox/q.md', { to: ['a', 'b'] }, 'hi')).toMatchObject({ ok: false, field: 'to' });
  });

  it('`to` as a wikilink to the agent note, quoted or not, is the agent name', () => {
    expect(ok(parseFrontmatter('---\nto: [[Agents/Researcher]]\n---\n').data).to).toBe('researcher');
    expect(ok({ to: '[[Agents/researcher|R]]' }).to).toBe('researcher');
    expect(ok({ to: '[[researcher]]' }).to).toBe('researcher');
  });

  it('`to` is compared lower-case', () => {
    expect(ok({ to: '  Researcher ' }).to).toBe('researcher');
  });

  it.each<[unknown, string]>([
    [-1, 'delegation_depth: expected a whole number from 0, found number -1'],
    [1.5, 'delegation_depth: expected a whole number from 0, found number 1.5'],
    ['x', 'delegation_depth: expected a whole number from 0, found "x"'],
  ])('a wrong delegation_depth %j is refused with a clear error', (depth, error) => {
    expect(readInbound('Inbox/q.md', { to: 'a', delegation_depth: depth }, 'hi')).toEqual({ ok: false, field: 'delegation_depth', error, status: 'ready' });
  });

  it('delegation_depth as text or empty is read', () => {
    expect(ok({ to: 'a', delegation_depth: '3' }).delegationDepth).toBe(3);
    expect(ok({ to: 'a', delegation_depth: '' }).delegationDepth).toBe(0);
    expect(ok({ to: 'a', delegation_depth: null }).delegationDepth).toBe(0);
  });

  it('an unknown status is refused, listing the statuses', () => {
    expect(readInbound('Inbox/q.md', { to: 'a', status: 'sent' }, 'hi')).toEqual({
      ok: false,
      field: 'status',
      error: 'status "sent" is not one of draft, ready, queued, running, waiting, done, error, cancelled',
      status: null,
    });
  });

  it('a blank from is the user', () => {
    expect(ok({ to: 'a', from: '   ' }).from).toBe('user');
  });

  it('true (or the text "true") marks a callback; anything else does not', () => {
    expect(ok({ to: 'a', callback: 'true' }).callback).toBe(true);
    expect(ok({ to: 'a', callback: true }).callback).toBe(true);
    expect(ok({ to: 'a', callback: 'yes please' }).callback).toBe(false);
    expect(ok({ to: 'a' }).callback).toBe(false);
  });

  it('an unquoted thread link is read', () => {
    expect(ok(parseFrontmatter('---\nto: a\nthread: [[Threads/a/x]]\n---\n').data).thread).toBe('Threads/a/x');
  });

  it('the body is trimmed', () => {
    expect(ok({ to: 'a' }, '\n  line one\n\n  line two  \n\n').body).toBe('line one\n\n  line two');
  });
});

describe('addressing an agent by a link to its note', () => {
  it('to: and reply_to: accept the link Obsidian completes, slugified like agent names', () => {
    expect(ok({ to: '[[Agents/Research Bot]]' }).to).toBe('research-bot');
    expect(ok({ to: '[[Agents/research-bot.md]]' }).to).toBe('research-bot');
    expect(ok({ to: 'a', reply_to: '[[orchestrator]]' }).replyTo).toBe('orchestrator');
    expect(ok({ to: 'a', reply_to: 'Orchestrator' }).replyTo).toBe('orchestrator');
  });
});
