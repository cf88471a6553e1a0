import { describe, it, expect } from 'vitest';
import {
  newThreadBaseName,
  newThreadNote,
  readThreadState,
  renderTurn,
  singleThreadPath,
  summarizeTools,
  threadFieldsAfterTurn,
  type TurnRecord,
} from '../../../src/threads/thread-note.ts';
import { parseFrontmatter, updateFrontmatterText } from '../../../src/vault/frontmatter.ts';
import { roleOf } from '../../../src/vault/tags.ts';

const AT = new Date(Date.UTC(2026, 10, 21, 19, 36, 5));
const LATER = new Date(Date.UTC(2026, 10, 21, 20, 0, 0));
const usage = (n: number) => ({ inputTokens: n, outputTokens: n * 2, cacheReadTokens: n * 3, cacheCreationTokens: n * 4 });

describe('thread paths', () => {
  it('a single-threaded agent has Threads/<agent>.md', () => {
    expect(singleThreadPath('researcher')).toBe('Threads/researcher.md');
  });

  it('a multi-threaded conversation gets a stamped, safe name in the agent folder', () => {
    expect(newThreadBaseName('researcher', 'What: is #1?', AT)).toEqual({ dir: 'Threads/researcher', base: '2026-11-21 1936 What is 1' });
  });
});

describe('newThreadNote', () => {
  it('starts at zero, working, with no session yet', () => {
    const { data, body } = parseFrontmatter(newThreadNote('researcher', 'single-threaded', AT));
    expect(roleOf(data.tags)).toBe('thread');
    expect(data).toMatchObject({
      agent: 'researcher',
      mode: 'single-threaded',
      status: 'working',
      session: '',
      turn_count: 0,
      started_at: '2026-11-21T19:36:05+00:00',
      last_turn_at: '2026-11-21T19:36:05+00:00',
      cost_usd: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_creation_tokens: 0,
    });
    expect(body).toContain('[[researcher]]');
    expect(readThreadState(data)).toEqual({ session: undefined, turnCount: 0, costUsd: 0, usage: usage(0), startedAt: '2026-11-21T19:36:05+00:00' });
  });
});

describe('thread fields across turns', () => {
  it('cost, tokens and turn count accumulate, and the session is kept', () => {
    let note = newThreadNote('researcher', 'single-threaded', AT);
    const turns = [
      { session: 'sess-1', costUsd: 0.1, usage: usage(10) },
      { session: 'sess-1', costUsd: 0.2, usage: usage(5) },
      { session: undefined, costUsd: 0.0001, usage: usage(1) },
    ];
    for (const turn of turns) {
      const state = readThreadState(parseFrontmatter(note).data);
      note = updateFrontmatterText(note, threadFieldsAfterTurn(state, { ok: true, at: LATER, ...turn }));
    }
    const { data } = parseFrontmatter(note);
    expect(data).toMatchObject({
      status: 'ok',
      session: 'sess-1',
      turn_count: 3,
      cost_usd: 0.3001,
      input_tokens: 16,
      output_tokens: 32,
      cache_read_tokens: 48,
      cache_creation_tokens: 64,
      started_at: '2026-11-21T19:36:05+00:00',
      last_turn_at: '2026-11-21T20:00:00+00:00',
    });
  });

  it('a failed turn marks the thread error and still counts its cost', () => {
    const state = readThreadState({ session: 'sess-1', turn_count: 2, cost_usd: 0.5 });
    expect(threadFieldsAfterTurn(state, { ok: false, session: undefined, costUsd: 0.25, usage: usage(0), at: LATER })).toMatchObject({
      status: 'error',
      session: 'sess-1',
      turn_count: 3,
      cost_usd: 0.75,
    });
  });

  it('the session the CLI reported replaces the old one', () => {
    const state = readThreadState({ session: 'old' });
    expect(threadFieldsAfterTurn(state, { ok: true, session: 'new', costUsd: 0, usage: usage(0), at: LATER }).session).toBe('new');
  });

  it('cost is rounded to 6 decimals, so float noise does not pile up', () => {
    const state = readThreadState({ cost_usd: 0.1 });
    expect(threadFieldsAfterTurn(state, { ok: true, session: 's', costUsd: 0.2, usage: usage(0), at: LATER }).cost_usd).toBe(0.3);
  });

  it('missing or odd numbers read as 0; numbers written as text are read', () => {
    expect(readThreadState({ turn_count: 'lots', cost_usd: null, input_tokens: '12', session: '  ' })).toEqual({
      session: undefined,
      turnCount: 0,
      costUsd: 0,
      usage: { inputTokens: 12, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 },
      startedAt: undefined,
    });
  });
});

describe('renderTurn', () => {
  const turn = (over: Partial<TurnRecord> = {}): TurnRecord => ({
    number: 2,
    at: AT,
    from: 'user',
    messagePath: 'Inbox/q.md',
    messageText: 'First line\n\nThird line',
    replyPath: 'Outbox/r.md',
    replyText: '  The reply.  \n',
    ok: true,
    tools: ['Read', 'Write', 'Read'],
    costUsd: 0.01234,
    durationMs: 4200,
    notices: [],
    ...over,
  });

  it('quotes the message, links both notes and sums up tools, cost and time', () => {
    expect(renderTurn(turn())).toBe(
      [
        '',
        '## Turn 2 · 2026-11-21 19:36 · from user',
        '',
        '**Message** ([[Inbox/q]]):',
        '> First line',
        '>',
        '> Third line',
        '',
        '**Reply** ([[Outbox/r]]):',
        '',
        'The reply.',
        '',
        '*Tools: Read ×2, Write · $0.0123 · 4.2 s*',
        '',
      ].join('\n'),
    );
  });

  it('a failed turn says Failed and shows notices as callouts', () => {
    const text = renderTurn(turn({ ok: false, tools: [], notices: ['The session was lost; a new one started.'] }));
    expect(text).toContain('> [!note] The session was lost; a new one started.\n\n**Failed** ([[Outbox/r]]):');
    expect(text).toContain('*No tools · ');
  });
});

describe('summarizeTools', () => {
  it('counts repeats and keeps first-use order', () => {
    expect(summarizeTools(['Read', 'Write', 'Read'])).toBe('Tools: Read ×2, Write');
    expect(summarizeTools(['Grep'])).toBe('Tools: Grep');
    expect(summarizeTools([])).toBe('No tools');
  });
});
