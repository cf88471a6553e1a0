// Every way a `claude -p` turn can go wrong, through the daemon, so what is asserted is what the user
// sees: the message in `error` with a readable `error:`, the thread in `error`, a failure note in Outbox/,
// and the agent still working for the next message.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { argValue, FAKE_CLAUDE, isAlive } from '../helpers/fake-claude-env.ts';
import { createHarness, linkedPath, waitForStatus, type Harness, type HarnessOptions } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * The timeout of the agent in the tests of hangs: long enough for the fake to have started (and logged,
 * and set up its signal handlers) on a busy machine, where starting Node takes a second or two.
 */
const HANG_TIMEOUT = { timeout: '5s' };

async function startWithAgent(options: HarnessOptions = {}, fields: Record<string, unknown> = {}): Promise<Harness> {
  h = await createHarness(options);
  await h.vault.writeAgent('worker', fields);
  await h.start();
  return h;
}

/** The failed message, its failure note and its thread, as the user would look at them. */
async function expectVisibleFailure(h: Harness, msg: string, expected: RegExp): Promise<{ error: string }> {
  const fields = await waitForStatus(h.vault, msg, 'error');
  expect(fields.error).toMatch(expected);
  const error = String(fields.error);
  // A sentence, on one line of the note, readable without a stack trace.
  expect(error).not.toMatch(/\n|at .+\(.+:\d+:\d+\)/);
  expect(fields.finished_at).toBeDefined();

  const failurePath = linkedPath(fields.reply);
  expect(failurePath).toMatch(/^Outbox\//);
  const failure = await h.vault.fields(failurePath);
  expect(failure.status).toBe('error');
  expect(failure.tags).toEqual(['agent/message/outbound']);
  const failureBody = await h.vault.body(failurePath);
  expect(failureBody).toContain('could not answer');
  expect(failureBody).toContain(error.trim());
  expect(failureBody).toContain('set its status back to `ready`');

  const thread = await h.vault.fields(linkedPath(fields.thread ?? '[[Threads/worker]]'));
  expect(thread.status).toBe('error');
  expect(h.logs('turn failed', { note: msg })).toHaveLength(1);
  return { error };
}

/**
 * After a test of a hang: the agent's short timeout taken off again (a normal turn on a busy machine can
 * take longer than a hang test can wait), and read, before its next message.
 */
async function withoutHangTimeout(h: Harness): Promise<void> {
  const loads = () => h.logs('agent definition loaded', { note: 'Agents/worker.md' }).length;
  const before = loads();
  await h.vault.writeAgent('worker');
  await waitFor(() => loads() > before, { what: 'the worker definition read again' });
}

/** The agent is not stuck: its next message runs and is answered. */
async function expectNextMessageRuns(h: Harness, name = 'next'): Promise<void> {
  const next = await h.vault.writeMessage(name, 'worker', 'Are you still there?');
  const done = await waitForStatus(h.vault, next, 'done');
  expect(await h.vault.body(linkedPath(done.reply))).toContain('fake reply to:');
  expect((await h.vault.fields('Threads/worker.md')).status).toBe('ok');
}

describe('claude fails', () => {
  it('claude not installed: the error says Claude Code was not found and how to install it; once installed, the next message runs', async () => {
    const binDir = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-bin-'));
    const claudePath = path.join(binDir, 'claude');
    try {
      await startWithAgent({ config: { claudePath } });
      const msg = await h!.vault.writeMessage('first', 'worker', 'Hello?');
      const { error } = await expectVisibleFailure(h!, msg, /Claude Code was not found/);
      expect(error).toContain('npm install -g @anthropic-ai/claude-code');
      expect(h!.fake.invocations()).toHaveLength(0);

      await symlink(FAKE_CLAUDE, claudePath);
      await expectNextMessageRuns(h!);
    } finally {
      await rm(binDir, { recursive: true, force: true });
    }
  });

  const cases: Array<{ name: string; marker: string; expected: RegExp }> = [
    { name: 'claude exits with an error and no output', marker: 'fail', expected: /Claude Code exited with code 1 without a result: boom/ },
    { name: 'claude exits with code 3 mid-turn', marker: 'exit:3', expected: /exited with code 3/ },
    { name: 'claude prints garbage', marker: 'garbage', expected: /Claude Code ended without a result \(\d+ lines of output were not JSON\)/ },
    { name: 'the API is overloaded (529)', marker: 'api-529', expected: /^API Error: 529 Overloaded/ },
    { name: 'the turn limit is reached', marker: 'max-turns', expected: /turn limit.*Raise max_turns/ },
    { name: 'the budget is reached', marker: 'max-budget', expected: /per-message budget after spending \$\d+\.\d\d.*Raise max_budget_usd/ },
    { name: 'claude is not logged in', marker: 'not-logged-in', expected: /Claude Code is not logged in on this machine: run `claude` once in a terminal/ },
  ];

  for (const { name, marker, expected } of cases) {
    it(`${name}: the message shows a readable error and the agent keeps working`, async () => {
      await startWithAgent();
      const msg = await h!.vault.writeMessage('broken', 'worker', `Please answer [[fake:${marker}]]`);
      await expectVisibleFailure(h!, msg, expected);
      await expectNextMessageRuns(h!);
    });
  }
});

describe('claude hangs', () => {
  it('a turn past its timeout is stopped, with everything it started', async () => {
    await startWithAgent({}, HANG_TIMEOUT);
    const msg = await h!.vault.writeMessage('hangs', 'worker', 'Never answers [[fake:hang,child]]');
    const { error } = await expectVisibleFailure(h!, msg, /took longer than its timeout \(5 s\) and was stopped/);
    expect(error).toContain('Raise timeout on the agent');
    const [call] = h!.fake.invocations();
    expect(call!.grandchildPid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(call!.pid) && !isAlive(call!.grandchildPid!), { what: 'claude and its grandchild gone' });
    await withoutHangTimeout(h!);
    await expectNextMessageRuns(h!);
  });

  it('a background process left behind by a finished turn is ended with it', async () => {
    await startWithAgent();
    const msg = await h!.vault.writeMessage('leaves a child', 'worker', 'Answer, leaving a process behind [[fake:success,child]]');
    await waitForStatus(h!.vault, msg, 'done');
    const [call] = h!.fake.invocations();
    expect(call!.grandchildPid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(call!.grandchildPid!), { what: 'the grandchild gone' });
  });

  it('a turn that ignores SIGINT and SIGTERM is killed', async () => {
    await startWithAgent({}, HANG_TIMEOUT);
    const msg = await h!.vault.writeMessage('stubborn', 'worker', 'Never answers [[fake:hang-ignore-sigint]]');
    await expectVisibleFailure(h!, msg, /took longer than its timeout \(5 s\)/);
    const [call] = h!.fake.invocations();
    await waitFor(() => !isAlive(call!.pid), { what: 'the stubborn claude gone' });
    // It did ignore the polite signals: SIGKILL is what ended it.
    const [failed] = h!.logs('turn failed', { note: msg });
    expect(String(failed?.stderr)).toContain('ignoring SIGTERM');
    await withoutHangTimeout(h!);
    await expectNextMessageRuns(h!);
  });

  it('a process that lingers after its result is ended, and the turn counts as done', async () => {
    // A timeout far longer than the wait: only the post-result grace can end this turn within it.
    await startWithAgent({}, { timeout: '10m' });
    const msg = await h!.vault.writeMessage('lingers', 'worker', 'Answer, then hang [[fake:hang-after-result]]');
    const done = await waitForStatus(h!.vault, msg, 'done');
    expect(await h!.vault.body(linkedPath(done.reply))).toContain('fake reply to:');
    const [call] = h!.fake.invocations();
    await waitFor(() => !isAlive(call!.pid), { what: 'the lingering claude gone' });
    expect((await h!.vault.fields('Threads/worker.md')).status).toBe('ok');
    await expectNextMessageRuns(h!);
  });
});

describe('claude lost the session', () => {
  it('an unknown session heals itself: a fresh session, the message done, and the thread says so', async () => {
    await startWithAgent();
    const first = await h!.vault.writeMessage('first', 'worker', 'Remember this.');
    await waitForStatus(h!.vault, first, 'done');
    const oldSession = String((await h!.vault.fields('Threads/worker.md')).session);
    expect(oldSession).toMatch(/^[0-9a-f-]{36}$/);
    await rm(h!.fake.sessionFile(oldSession));

    const second = await h!.vault.writeMessage('second', 'worker', 'Do you remember?');
    const done = await waitForStatus(h!.vault, second, 'done');
    const calls = h!.fake.invocations();
    expect(calls).toHaveLength(3);
    expect(argValue(calls[1]!.argv, '--resume')).toBe(oldSession);
    const freshSession = argValue(calls[2]!.argv, '--session-id');
    expect(freshSession).toMatch(/^[0-9a-f-]{36}$/);
    expect(freshSession).not.toBe(oldSession);

    const thread = await h!.vault.fields('Threads/worker.md');
    expect(thread.session).toBe(freshSession);
    expect(thread.status).toBe('ok');
    expect(thread.turn_count).toBe(2);
    expect(await h!.vault.body(linkedPath(done.reply))).toContain(`(turn 1 of session ${freshSession})`);
    const threadBody = await h!.vault.body('Threads/worker.md');
    expect(threadBody).toContain(`had no record of session ${oldSession}; this turn started a fresh session (${freshSession})`);
    expect(h!.logs('session not found; starting a fresh one')).toHaveLength(1);

    // And the conversation goes on in the fresh session.
    const third = await h!.vault.writeMessage('third', 'worker', 'And now?');
    await waitForStatus(h!.vault, third, 'done');
    expect(argValue(h!.fake.invocations()[3]!.argv, '--resume')).toBe(freshSession);
  });
});
