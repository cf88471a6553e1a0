import { describe, it, expect } from 'vitest';
import { outboundBaseName, outboundNote, type OutboundInput } from '../../../src/messages/outbound.ts';
import { inboundBaseName, newInboundNote } from '../../../src/messages/new-message.ts';
import { parseFrontmatter } from '../../../src/vault/frontmatter.ts';
import { roleOf } from '../../../src/vault/tags.ts';
import { readInbound } from '../../../src/messages/inbound.ts';

// test/helpers/setup.ts pins TZ=UTC.
const AT = new Date(Date.UTC(2026, 10, 21, 19, 36, 5));

const input = (over: Partial<OutboundInput> = {}): OutboundInput => ({
  agent: 'researcher',
  to: 'user',
  inboundPath: 'Inbox/2026-11-21 193600 researcher - What changed.md',
  threadPath: 'Threads/researcher.md',
  at: AT,
  ok: true,
  text: '  The answer.  \n',
  ...over,
});

describe('outboundNote', () => {
  it('a reply note carries the outbound tag, both links quoted, and the reply as body', () => {
    expect(outboundNote(input())).toBe(
      [
        '---',
        'tags:',
        '  - agent/message/outbound',
        'from: researcher',
        'to: user',
        'status: ok',
        'in_reply_to: "[[Inbox/2026-11-21 193600 researcher - What changed]]"',
        'thread: "[[Threads/researcher]]"',
        'created: 2026-11-21T19:36:05+00:00',
        '---',
        'The answer.',
        '',
      ].join('\n'),
    );
  });

  it('a reply note is an outbound note and never wakes an agent', () => {
    const { data } = parseFrontmatter(outboundNote(input()));
    expect(roleOf(data.tags)).toBe('outbound');
    expect(data.in_reply_to).toBe('[[Inbox/2026-11-21 193600 researcher - What changed]]');
    expect(data.thread).toBe('[[Threads/researcher]]');
  });

  it('a failure note says who could not answer, why, and what to do', () => {
    const note = outboundNote(input({ ok: false, to: 'planner', inboundPath: 'Inbox/q.md', text: 'Claude Code is not logged in.' }));
    const { data, body } = parseFrontmatter(note);
    expect(data.status).toBe('error');
    expect(data.to).toBe('planner');
    expect(body).toBe(
      '**researcher could not answer** [[Inbox/q]].\n\nClaude Code is not logged in.\n\nThe message note has the details; set its status back to `ready` to try again.\n',
    );
  });

  it("a reply that starts with its own --- block keeps it in the body and out of the reply note's fields", () => {
    const text = '---\ntitle: Draft\nreply_to: planner\n---\n# Draft note\n';
    const { data, body } = parseFrontmatter(outboundNote(input({ text })));
    expect(Object.keys(data).sort()).toEqual(['created', 'from', 'in_reply_to', 'status', 'tags', 'thread', 'to']);
    expect(body).toBe(text);
  });

  it('a reply that starts with a horizontal rule keeps its text', () => {
    const { data, body } = parseFrontmatter(outboundNote(input({ text: '---\n\nSummary follows.' })));
    expect(data.status).toBe('ok');
    expect(body).toBe('---\n\nSummary follows.\n');
  });
});

describe('outboundBaseName', () => {
  it('goes in Outbox, stamped with the reply time and the agent', () => {
    expect(outboundBaseName('researcher', 'Inbox/My question.md', AT)).toEqual({ dir: 'Outbox', base: '2026-11-21 193605 researcher - My question' });
  });

  it("does not repeat the inbound note's send stamp and agent", () => {
    expect(outboundBaseName('researcher', 'Inbox/2026-11-21 193600 researcher - What changed in.md', AT).base).toBe(
      '2026-11-21 193605 researcher - What changed in',
    );
    expect(outboundBaseName('researcher', 'Inbox/2026-11-21 1936 researcher - What changed.md', AT).base).toBe(
      '2026-11-21 193605 researcher - What changed',
    );
  });

  it('an agent name with regex characters is matched literally', () => {
    expect(outboundBaseName('re.search', 'Inbox/2026-11-21 1936 re.search - Q.md', AT).base).toBe('2026-11-21 193605 re.search - Q');
    expect(outboundBaseName('re.search', 'Inbox/2026-11-21 1936 reXsearch - Q.md', AT).base).toBe('2026-11-21 193605 re.search - reXsearch - Q');
  });

  it("keeps another agent's name in the title", () => {
    expect(outboundBaseName('researcher', 'Inbox/2026-11-21 193600 planner - Q.md', AT).base).toBe('2026-11-21 193605 researcher - planner - Q');
  });

  it('the name is safe for every file system', () => {
    expect(outboundBaseName('researcher', 'Inbox/What: is #1?.md', AT).base).toBe('2026-11-21 193605 researcher - What is 1');
  });
});

describe('newInboundNote and inboundBaseName', () => {
  it('writes a ready inbound note that reads back as the same message', () => {
    const note = newInboundNote({ to: 'researcher', from: 'user', body: '  What changed?\n', at: AT });
    expect(note).toBe('---\ntags:\n  - agent/message/inbound\nto: researcher\nfrom: user\nstatus: ready\ncreated: 2026-11-21T19:36:05+00:00\n---\nWhat changed?\n');
    const { data, body } = parseFrontmatter(note);
    expect(roleOf(data.tags)).toBe('inbound');
    expect(readInbound('Inbox/x.md', data, body)).toMatchObject({ ok: true, message: { to: 'researcher', from: 'user', body: 'What changed?' } });
  });

  it('a message body that starts with a --- block stays the body and cannot add fields such as reply_to', () => {
    const body = '---\nreply_to: planner\ndelegation_depth: 0\n---\nHi';
    const { data, body: readBody } = parseFrontmatter(newInboundNote({ to: 'researcher', from: 'user', body, at: AT }));
    expect(data).not.toHaveProperty('reply_to');
    expect(readBody).toBe(body + '\n');
  });

  it('can write a draft', () => {
    expect(parseFrontmatter(newInboundNote({ to: 'a', from: 'user', body: 'x', at: AT, status: 'draft' })).data.status).toBe('draft');
  });

  it('names the note after the stamp, the agent and the first six words, without link-breaking characters', () => {
    expect(inboundBaseName({ to: 'researcher', from: 'user', body: 'What changed in the [[API]] #today? more words here', at: AT })).toEqual({
      dir: 'Inbox',
      base: '2026-11-21 193605 researcher - What changed in the API today',
    });
  });

  it("an inbound name and its reply's name share the title", () => {
    const { dir, base } = inboundBaseName({ to: 'researcher', from: 'user', body: 'What changed', at: AT });
    expect(outboundBaseName('researcher', `${dir}/${base}.md`, AT).base).toBe('2026-11-21 193605 researcher - What changed');
  });
});
