import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { classifyResult, firstLine, StreamAccumulator, usageOf, writtenPath, type ResultEvent } from '../../../src/runner/stream-parser.ts';
import type { TurnProgress } from '../../../src/runner/types.ts';

const FIXTURES = new URL('../../fixtures/claude-cli/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

/** Replays a real transcript line by line, as the runner reads stdout. */
function replay(name: string, stderrName?: string) {
  const progress: TurnProgress[] = [];
  const acc = new StreamAccumulator((p) => progress.push(p));
  for (const line of fixture(name).split('\n')) acc.push(line);
  const stderr = stderrName ? fixture(stderrName) : '';
  const verdict = acc.result ? classifyResult(acc.result, stderr) : undefined;
  return { acc, progress, verdict };
}

describe('real transcripts', () => {
  it('01-success: ok, with the reply text, the session id, the model and the cost', () => {
    const { acc, verdict, progress } = replay('01-success.jsonl');
    expect(verdict).toEqual({ ok: true, errorKind: undefined, error: undefined, transient: false });
    expect(acc.result?.result).toBe('hello from fake api; msgs=2; scen=plain');
    expect(acc.sessionId).toBe('3ad0f118-5a50-4b42-8ec8-d78b6e6b31ea');
    expect(acc.model).toBe('claude-opus-5-5');
    expect(acc.result?.total_cost_usd).toBeCloseTo(0.00014, 10);
    expect(acc.tools).toEqual([]);
    expect(acc.garbageLines).toBe(0);
    expect(acc.lines).toBe(3);
    expect(progress).toEqual([{ type: 'init', sessionId: '3ad0f118-5a50-4b42-8ec8-d78b6e6b31ea', model: 'claude-opus-5-5' }, { type: 'result' }]);
  });

  it('01-success: usage numbers are read from the result line', () => {
    const { acc } = replay('01-success.jsonl');
    expect(usageOf(acc.result)).toEqual({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheCreationTokens: 0 });
  });

  it('02-resume-same: a resumed turn keeps the same session id', () => {
    const first = replay('01-success.jsonl').acc.sessionId;
    const { acc, verdict } = replay('02-resume-same.jsonl');
    expect(verdict?.ok).toBe(true);
    expect(acc.sessionId).toBe(first);
    expect(acc.result?.result).toBe('hello from fake api; msgs=4; scen=plain');
  });

  it('03-resume-unknown-uuid: no init line is fine; the turn is an unknown session', () => {
    const { acc, verdict, progress } = replay('03-resume-unknown-uuid.jsonl', '03-resume-unknown-uuid.stderr');
    expect(acc.model).toBeUndefined();
    expect(progress).toEqual([{ type: 'result' }]);
    expect(acc.sessionId).toBe('11111111-2222-4333-8444-555555555555');
    expect(verdict).toMatchObject({ ok: false, errorKind: 'unknown_session', transient: false });
    expect(verdict?.error).toContain('No conversation found with session ID: 11111111-2222-4333-8444-555555555555');
  });

  it('03-resume-unknown-uuid: recognised from the result line alone, without stderr', () => {
    expect(replay('03-resume-unknown-uuid.jsonl').verdict?.errorKind).toBe('unknown_session');
  });

  it('04-resume-unknown-name: a failure, not worth retrying, quoting the CLI', () => {
    const { verdict } = replay('04-resume-unknown-name.jsonl', '04-resume-unknown-name.stderr');
    expect(verdict).toMatchObject({ ok: false, transient: false });
    expect(verdict?.error).toContain('--resume requires a valid session ID');
  });

  it('20-write-allowed: the tools the turn used are listed', () => {
    const { acc, verdict, progress } = replay('20-write-allowed.jsonl');
    expect(verdict?.ok).toBe(true);
    expect(acc.tools).toEqual(['Write']);
    expect(progress).toContainEqual({ type: 'tool', name: 'Write' });
    // The file it wrote: who wrote a note is told from it (the second signal after the write hook).
    expect(progress).toContainEqual({ type: 'write', file: '/home/alice/work/vault/out-allowed.md' });
    expect(usageOf(acc.result)).toEqual({ inputTokens: 20, outputTokens: 10, cacheReadTokens: 0, cacheCreationTokens: 0 });
    expect(acc.result?.num_turns).toBe(2);
  });

  it('30-max-turns: a Read names a file too, but only writing tools count as writes', () => {
    const { acc, progress } = replay('30-max-turns.jsonl');
    expect(acc.tools).toContain('Read');
    expect(progress.filter((p) => p.type === 'write')).toEqual([]);
  });

  it('30-max-turns: max_turns, telling the user to raise max_turns', () => {
    const { acc, verdict } = replay('30-max-turns.jsonl');
    expect(verdict).toMatchObject({ ok: false, errorKind: 'max_turns', transient: false });
    expect(verdict?.error).toBe(
      'The agent stopped after reaching its turn limit (Reached maximum number of turns (2)). Raise max_turns on the agent or split the request.',
    );
    expect(acc.tools).toEqual(['Read', 'Read']);
  });

  it('31-max-budget: max_budget, saying what was spent', () => {
    const { verdict } = replay('31-max-budget.jsonl');
    expect(verdict).toMatchObject({ ok: false, errorKind: 'max_budget', transient: false });
    expect(verdict?.error).toBe(
      'The agent stopped at its per-message budget after spending $1.20 (Reached maximum budget ($0.5)). Raise max_budget_usd on the agent if this message needs more.',
    );
  });

  it('40-overloaded-529: an API error worth retrying, with each retry reported', () => {
    const { acc, verdict, progress } = replay('40-overloaded-529.jsonl');
    expect(verdict).toMatchObject({ ok: false, errorKind: 'api', transient: true });
    expect(verdict?.error).toMatch(/^API Error: 529 Overloaded/);
    const retries = progress.filter((p) => p.type === 'retry');
    expect(retries).toHaveLength(10);
    expect(retries[0]).toEqual({ type: 'retry', attempt: 1, maxRetries: 10, error: 'overloaded', status: 529 });
    expect(acc.lastRetry).toEqual({ error: 'overloaded', status: 529 });
  });

  it.each(['41-ratelimit.jsonl', '41-servererror.jsonl'])('%s: an API error worth retrying', (name) => {
    expect(replay(name).verdict).toMatchObject({ ok: false, errorKind: 'api', transient: true });
  });

  it('48-connection-refused: a network error worth retrying', () => {
    const { verdict, acc } = replay('48-connection-refused.jsonl');
    expect(verdict).toMatchObject({ ok: false, errorKind: 'api', transient: true });
    expect(acc.lastRetry?.status).toBeNull();
  });

  it('41-authfail: an auth error, not retried, telling the user to check the key', () => {
    const { verdict } = replay('41-authfail.jsonl');
    expect(verdict).toMatchObject({ ok: false, errorKind: 'auth', transient: false });
    expect(verdict?.error).toBe(
      'Claude Code could not authenticate (Invalid API key · Fix external API key). Check the login or API key the daemon uses, then set this message back to ready.',
    );
  });

  it('42-not-logged-in: not_logged_in, telling the user to log in', () => {
    const { verdict } = replay('42-not-logged-in.jsonl', '42-not-logged-in.stderr');
    expect(verdict).toMatchObject({ ok: false, errorKind: 'not_logged_in', transient: false });
    expect(verdict?.error).toContain('run `claude` once in a terminal and log in');
  });

  it('45-sigterm: only an init line, no result', () => {
    const { acc, verdict } = replay('45-sigterm-during-request.jsonl');
    expect(acc.result).toBeUndefined();
    expect(verdict).toBeUndefined();
    expect(acc.sessionId).toBe('17051ddd-a50c-4418-9ecb-6fbe2f9d1341');
  });

  it('46-sigint: the interrupted turn is aborted', () => {
    expect(replay('46-sigint-during-request.jsonl').verdict).toMatchObject({
      ok: false,
      errorKind: 'aborted',
      error: 'The turn was interrupted before it finished.',
      transient: false,
    });
  });

  it('43-output-json: a single result object reads as a finished turn', () => {
    const { acc, verdict } = replay('43-output-json.json');
    expect(verdict?.ok).toBe(true);
    expect(acc.sessionId).toBe('23397231-3bea-4380-8162-269be65692b2');
  });
});

describe('StreamAccumulator tolerance', () => {
  it('counts lines that are not JSON objects and never throws', () => {
    const acc = new StreamAccumulator();
    for (const line of ['not json', '{"broken":', 'null', '42', '"text"', '{"type":"system","subtype":"init","session_id":"s1"}']) {
      expect(() => acc.push(line)).not.toThrow();
    }
    expect(acc.garbageLines).toBe(5);
    expect(acc.lines).toBe(6);
    expect(acc.sessionId).toBe('s1');
  });

  it('skips blank lines without counting them', () => {
    const acc = new StreamAccumulator();
    acc.push('');
    acc.push('   ');
    expect([acc.lines, acc.garbageLines]).toEqual([0, 0]);
  });

  it('reads a transcript whose lines carry stray whitespace or CRLF', () => {
    const acc = new StreamAccumulator();
    for (const line of fixture('01-success.jsonl').split('\n')) acc.push(`  ${line}\r`);
    expect(acc.garbageLines).toBe(0);
    expect(classifyResult(acc.result!, '').ok).toBe(true);
  });

  it('garbage mixed into a real transcript does not hide the result', () => {
    const acc = new StreamAccumulator();
    for (const line of fixture('20-write-allowed.jsonl').split('\n')) {
      acc.push(line);
      acc.push('Warning: something printed on stdout');
    }
    expect(acc.garbageLines).toBe(fixture('20-write-allowed.jsonl').split('\n').length);
    expect(acc.tools).toEqual(['Write']);
    expect(acc.result?.subtype).toBe('success');
  });

  it("does not count a sub-agent's tool calls as the agent's own", () => {
    const acc = new StreamAccumulator();
    acc.push(JSON.stringify({ type: 'assistant', message: { content: [{ type: 'tool_use', name: 'Task' }] }, parent_tool_use_id: null }));
    acc.push(JSON.stringify({ type: 'assistant', message: { content: [{ type: 'tool_use', name: 'Grep' }] }, parent_tool_use_id: 'toolu_1' }));
    acc.push(JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: 'x' }, { type: 'tool_use', name: 'Read' }] } }));
    expect(acc.tools).toEqual(['Task', 'Read']);
  });

  it('the progress callback is optional', () => {
    const acc = new StreamAccumulator();
    for (const line of fixture('40-overloaded-529.jsonl').split('\n')) acc.push(line);
    expect(acc.result).toBeDefined();
  });
});

describe('usageOf', () => {
  it('reads all four token counts, cache ones included', () => {
    const result = { type: 'result', subtype: 'success', is_error: false, usage: { input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 3, cache_creation_input_tokens: 4 } } as ResultEvent;
    expect(usageOf(result)).toEqual({ inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheCreationTokens: 4 });
  });

  it('missing or odd numbers count as 0', () => {
    expect(usageOf(undefined)).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 });
    const odd = { type: 'result', subtype: 'success', is_error: false, usage: { input_tokens: 'many', output_tokens: null } } as ResultEvent;
    expect(usageOf(odd)).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 });
  });
});

describe('classifyResult', () => {
  const base: ResultEvent = { type: 'result', subtype: 'success', is_error: false, result: 'hi', num_turns: 1 };

  it('a success with no turns and no text is empty, not ok', () => {
    expect(classifyResult({ ...base, num_turns: 0, result: '' }, '')).toMatchObject({ ok: false, errorKind: 'empty' });
  });

  it('subtype success with is_error true is a failure', () => {
    expect(classifyResult({ ...base, is_error: true, result: 'Something broke' }, '').ok).toBe(false);
  });

  it('a session in use (from stderr) is session_in_use', () => {
    const stderr = fixture('09-session-id-existing.stderr');
    expect(classifyResult({ ...base, subtype: 'error_during_execution', is_error: true, result: '' }, stderr)).toMatchObject({
      errorKind: 'session_in_use',
      error: 'Error: Session ID 7670059d-9565-4b72-9999-4847a16f8380 is already in use.',
    });
  });

  it('an API error without a known status is not retried, and shows the first line', () => {
    expect(classifyResult({ ...base, is_error: true, result: '\nAPI Error: bad request\nmore detail' }, '')).toEqual({
      ok: false,
      errorKind: 'api',
      error: 'API Error: bad request',
      transient: false,
    });
  });

  it('a 403 is an auth error', () => {
    expect(classifyResult({ ...base, is_error: true, result: 'Forbidden', api_error_status: 403 }, '').errorKind).toBe('auth');
  });

  it('a failure with no text at all still says what happened', () => {
    expect(classifyResult({ type: 'result', subtype: 'error_during_execution', is_error: true }, '').error).toBe(
      'Claude Code reported an error (error_during_execution)',
    );
  });
});

describe('firstLine', () => {
  it('gives the first non-blank line, trimmed, at most 500 characters', () => {
    expect(firstLine('\n\n  hello  \nworld')).toBe('hello');
    expect(firstLine('x'.repeat(600))).toHaveLength(500);
  });
});

describe('writtenPath', () => {
  it('reads a tool call\'s path as Claude Code expands it: trimmed, ~ from HOME, relative from the folder', () => {
    expect(writtenPath('~/../vault/Inbox/x.md', '/work', '/home/me')).toBe('/home/vault/Inbox/x.md');
    expect(writtenPath('~', '/work', '/home/me')).toBe('/home/me');
    expect(writtenPath('  /vault/Inbox/x.md \n', '/work', '/home/me')).toBe('/vault/Inbox/x.md');
    expect(writtenPath('Inbox/./a/../x.md', '/vault', '/home/me')).toBe('/vault/Inbox/x.md');
    // Only `~` alone or `~/`: `~user/…` is a folder named so, as Claude Code takes it.
    expect(writtenPath('~other/x.md', '/vault', '/home/me')).toBe('/vault/~other/x.md');
  });
});
