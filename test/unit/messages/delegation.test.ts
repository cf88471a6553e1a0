import { describe, expect, it } from 'vitest';
import { parseDefinition, type AgentDefinition } from '../../../src/agents/definition.ts';
import {
  CALLBACK_TEXT_LIMIT,
  callbackNote,
  delegationNote,
  mayAddress,
  type CallbackItem,
} from '../../../src/messages/delegation.ts';
import { parseFrontmatter } from '../../../src/vault/frontmatter.ts';
import { safeFileName } from '../../../src/vault/paths.ts';

const AT = new Date(Date.UTC(2026, 10, 21, 19, 36, 5));

function agent(fields: Record<string, unknown> = {}): AgentDefinition {
  const result = parseDefinition('Agents/boss.md', fields, 'You are boss.', '/vault');
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

const read = (content: string) => parseFrontmatter(content);

describe('mayAddress', () => {
  it('an agent without can_message may address every agent', () => {
    const boss = agent();
    expect(boss.canMessage).toBeUndefined();
    expect(mayAddress(boss, 'worker')).toBe(true);
    expect(mayAddress(boss, 'anyone-at-all')).toBe(true);
  });

  it('an agent with a can_message list may address only the agents it names', () => {
    const boss = agent({ can_message: ['worker', 'writer'] });
    expect(mayAddress(boss, 'worker')).toBe(true);
    expect(mayAddress(boss, 'writer')).toBe(true);
    expect(mayAddress(boss, 'other')).toBe(false);
  });

  it('an empty can_message list allows no agent', () => {
    const boss = agent({ can_message: [] });
    expect(mayAddress(boss, 'worker')).toBe(false);
  });

  it('names are compared without regard to case, on both sides', () => {
    const boss = agent({ can_message: ['Worker'] });
    expect(mayAddress(boss, 'worker')).toBe(true);
    expect(mayAddress(boss, 'WORKER')).toBe(true);
    expect(mayAddress(agent({ can_message: 'worker, writer' }), 'Writer')).toBe(true);
  });
});

describe('delegationNote', () => {
  it('stamps the note so the callback finds its way back: to, from, reply_to = from, correlation id, depth, ready', () => {
    const note = delegationNote({ from: 'boss', to: 'worker', body: '  Find the population of Rome.  ', correlationId: 'boss-1', depth: 3, at: AT });
    expect(note.dir).toBe('Inbox');
    const { data, body } = read(note.content);
    expect(data).toEqual({
      tags: ['agent/message/inbound'],
      to: 'worker',
      from: 'boss',
      reply_to: 'boss',
      correlation_id: 'boss-1',
      delegation_depth: 3,
      status: 'ready',
      created: '2026-11-21T19:36:05+00:00',
    });
    expect(body).toBe('Find the population of Rome.\n');
  });

  it('links the message the delegating agent was answering as origin_message', () => {
    const note = delegationNote({ from: 'boss', to: 'worker', body: 'x', correlationId: 'c', depth: 1, at: AT, originMessage: 'Inbox/Plan a trip.md' });
    expect(read(note.content).data.origin_message).toBe('[[Inbox/Plan a trip]]');
    expect(note.content).toMatch(/^origin_message: "\[\[Inbox\/Plan a trip\]\]"$/m);
  });

  it('carries the fan-in group, its size and its deadline', () => {
    const deadline = new Date(AT.getTime() + 30 * 60_000);
    const { data } = read(delegationNote({ from: 'boss', to: 'worker', body: 'x', correlationId: 'c', depth: 1, at: AT, group: { id: 'g1', size: 3, deadline } }).content);
    expect(data.group).toBe('g1');
    expect(data.group_size).toBe(3);
    expect(data.group_deadline).toBe('2026-11-21T20:06:05+00:00');
  });

  it('a group without a deadline writes no group_deadline; no group writes no group fields', () => {
    const grouped = read(delegationNote({ from: 'boss', to: 'worker', body: 'x', correlationId: 'c', depth: 1, at: AT, group: { id: 'g1', size: 2, deadline: undefined } }).content).data;
    expect(grouped.group_size).toBe(2);
    expect('group_deadline' in grouped).toBe(false);
    const single = read(delegationNote({ from: 'boss', to: 'worker', body: 'x', correlationId: 'c', depth: 1, at: AT }).content).data;
    expect('group' in single || 'group_size' in single || 'origin_message' in single).toBe(false);
  });

  it('names the file with the time, the recipient, the sender and the first words, safe for any file system and link', () => {
    const note = delegationNote({
      from: 'boss',
      to: 'worker',
      body: 'Compare: Rome/Carthage? #history [[links]] | "quotes" and more words after',
      correlationId: 'c',
      depth: 1,
      at: AT,
    });
    expect(note.base.startsWith('2026-11-21 193605 worker - from boss - Compare')).toBe(true);
    expect(note.base).not.toMatch(/[<>:"/\\|?*#^[\]%{}]/);
    expect(note.base).toBe(safeFileName(note.base, 90));
    expect(note.base.length).toBeLessThanOrEqual(90);
    expect(note.base).not.toContain('after');
  });
});

const item = (over: Partial<CallbackItem> = {}): CallbackItem => ({
  agent: 'worker',
  ok: true,
  correlationId: 'boss-1',
  messagePath: 'Inbox/task.md',
  threadPath: 'Threads/worker.md',
  replyPath: 'Outbox/reply.md',
  text: 'Rome had about a million people.',
  ...over,
});

describe('callbackNote: one delegated message', () => {
  it('links the source agent, thread, message and reply, echoes the correlation id and goes one hop deeper', () => {
    const note = callbackNote({ to: 'boss', depth: 2, at: AT, items: [item({ originMessage: 'Inbox/Plan.md' })] });
    expect(note.dir).toBe('Inbox');
    const { data, body } = read(note.content);
    expect(data).toMatchObject({
      tags: ['agent/message/inbound'],
      to: 'boss',
      from: 'worker',
      callback: true,
      outcome: 'ok',
      status: 'ready',
      delegation_depth: 2,
      source_agent: 'worker',
      source_thread: '[[Threads/worker]]',
      source_message: '[[Inbox/task]]',
      source_reply: '[[Outbox/reply]]',
      correlation_id: 'boss-1',
      origin_message: '[[Inbox/Plan]]',
      created: '2026-11-21T19:36:05+00:00',
    });
    expect(body).toContain('worker finished the message you sent.');
    expect(body).toContain('## worker: done (boss-1)');
    expect(body).toContain('Rome had about a million people.');
    expect(note.base).toBe('2026-11-21 193605 boss - callback from worker');
  });

  it('never carries reply_to, so a callback cannot start another callback', () => {
    for (const items of [[item()], [item({ ok: false })], [item(), item({ agent: 'worker2', pending: true })]]) {
      const grouped = items.length > 1 ? { group: { id: 'g', size: 2, why: 'failed' as const } } : {};
      const note = callbackNote({ to: 'boss', depth: 2, at: AT, items, ...grouped });
      expect('reply_to' in read(note.content).data).toBe(false);
      expect(note.content).not.toMatch(/^reply_to:/m);
    }
  });

  it('a failed message calls back with outcome error, the reason in the body', () => {
    const note = callbackNote({ to: 'boss', depth: 2, at: AT, items: [item({ ok: false, text: 'The turn timed out after 15 minutes.' })] });
    const { data, body } = read(note.content);
    expect(data.outcome).toBe('error');
    expect(body).toContain('worker could not finish the message you sent.');
    expect(body).toContain('## worker: failed (boss-1)');
    expect(body).toContain('The turn timed out after 15 minutes.');
  });

  it('writes no origin_message when the delegation had none', () => {
    expect('origin_message' in read(callbackNote({ to: 'boss', depth: 2, at: AT, items: [item()] }).content).data).toBe(false);
  });

  it(`cuts a reply longer than CALLBACK_TEXT_LIMIT (${CALLBACK_TEXT_LIMIT}) and links the full reply`, () => {
    const long = 'a'.repeat(CALLBACK_TEXT_LIMIT) + 'Q'.repeat(500);
    const { body } = read(callbackNote({ to: 'boss', depth: 2, at: AT, items: [item({ text: long })] }).content);
    expect(body.includes('a'.repeat(CALLBACK_TEXT_LIMIT) + '…')).toBe(true);
    expect(body.includes('Q')).toBe(false);
    expect(body).toContain(`(cut at ${CALLBACK_TEXT_LIMIT} characters. The full reply: [[Outbox/reply]].)`);
  });

  it('a reply of exactly the limit is not cut', () => {
    const exact = 'a'.repeat(CALLBACK_TEXT_LIMIT);
    const { body } = read(callbackNote({ to: 'boss', depth: 2, at: AT, items: [item({ text: exact })] }).content);
    expect(body.includes(exact + '\n')).toBe(true);
    expect(body.includes('…')).toBe(false);
    expect(body.includes('cut at')).toBe(false);
  });
});

describe('callbackNote: a fan-in group', () => {
  const members = [
    item({ agent: 'worker', correlationId: 'c1', messagePath: 'Inbox/one.md', replyPath: 'Outbox/one.md', text: 'Result one.' }),
    item({ agent: 'worker2', correlationId: 'c2', messagePath: 'Inbox/two.md', replyPath: 'Outbox/two.md', threadPath: 'Threads/worker2.md', text: 'Result two.' }),
  ];

  it('is one note carrying every item, with all correlation ids and source messages', () => {
    const note = callbackNote({ to: 'boss', depth: 2, at: AT, items: members, group: { id: 'g1', size: 2, why: 'complete' } });
    const { data, body } = read(note.content);
    expect(data).toMatchObject({
      to: 'boss',
      from: 'scriptorium',
      callback: true,
      outcome: 'ok',
      group: 'g1',
      delegation_depth: 2,
      correlation_id: ['c1', 'c2'],
      source_message: ['[[Inbox/one]]', '[[Inbox/two]]'],
    });
    expect(body).toContain('Results of the group "g1" (2 of 2 finished).');
    expect(body).toContain('## worker: done (c1)');
    expect(body).toContain('Result one.');
    expect(body).toContain('## worker2: done (c2)');
    expect(body).toContain('Result two.');
    expect(body).toContain('Message: [[Inbox/two]] · reply: [[Outbox/two]]');
    expect(note.base).toBe('2026-11-21 193605 boss - callback group g1');
  });

  it('marks members still pending as "still running" and says one failed', () => {
    const items = [
      item({ agent: 'worker', ok: false, correlationId: 'c1', messagePath: 'Inbox/one.md', text: 'It broke.' }),
      item({ agent: 'worker2', ok: false, pending: true, correlationId: 'c2', messagePath: 'Inbox/two.md', replyPath: undefined, threadPath: undefined, text: '' }),
    ];
    const { data, body } = read(callbackNote({ to: 'boss', depth: 2, at: AT, items, group: { id: 'g1', size: 2, why: 'failed' } }).content);
    expect(data.outcome).toBe('error');
    expect(body).toContain('(1 of 2 finished; one failed)');
    expect(body).toContain('## worker: failed (c1)');
    expect(body).toContain('It broke.');
    expect(body).toContain('## worker2: still running (c2)');
  });

  it('says the deadline passed, and a pending member makes the outcome error even if the rest succeeded', () => {
    const items = [members[0]!, item({ agent: 'worker2', pending: true, ok: false, correlationId: 'c2', messagePath: 'Inbox/two.md', replyPath: undefined, text: '' })];
    const { data, body } = read(callbackNote({ to: 'boss', depth: 2, at: AT, items, group: { id: 'g1', size: 3, why: 'deadline' } }).content);
    expect(body).toContain('Results of the group "g1" (1 of 3 finished; the deadline passed).');
    expect(body).toContain('## worker2: still running (c2)');
    expect(data.outcome).toBe('error');
  });

  it('shares the text limit between the items, each cut with a link to its full reply', () => {
    const share = Math.floor(CALLBACK_TEXT_LIMIT / 2);
    const items = members.map((m) => ({ ...m, text: 'x'.repeat(share) + 'Q'.repeat(100) }));
    const { body } = read(callbackNote({ to: 'boss', depth: 2, at: AT, items, group: { id: 'g1', size: 2, why: 'complete' } }).content);
    expect(body.includes('Q')).toBe(false);
    expect(body.split('x'.repeat(share) + '…')).toHaveLength(3);
    expect(body).toContain(`(cut at ${share} characters. The full reply: [[Outbox/one]].)`);
    expect(body).toContain(`(cut at ${share} characters. The full reply: [[Outbox/two]].)`);
  });
});
