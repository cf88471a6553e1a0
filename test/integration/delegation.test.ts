// Delegation end to end on a real vault: the real watcher and daemon, the real runner spawning the fake
// `claude`. A delegated message is written straight into Inbox/, the way an agent's Write tool would, with
// `from`/`reply_to` naming the delegating agent; the callback is read back from disk and seen to run.
import { existsSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_MESSAGES_PER_HOUR, MAX_DELEGATION_DEPTH } from '../../src/messages/delegation.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import type { FrontmatterData } from '../../src/vault/frontmatter.ts';
import { argValue, argValues, hasFlag, messageNoteOf, useFakeClaude, type Invocation } from '../helpers/fake-claude-env.ts';
import { createHarness, linkedPath, TEST_CONFIG, waitForStatus, type Harness, type HarnessOptions } from '../helpers/daemon-harness.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { PATIENCE_MS, waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A started daemon with the agents `boss` (the orchestrator) and `worker`, plus any others named. */
async function start(agents: Record<string, FrontmatterData> = {}, options: HarnessOptions = {}): Promise<Harness> {
  h = await createHarness(options);
  const all: Record<string, FrontmatterData> = { boss: { description: 'Plans and hands out work.' }, worker: { description: 'Does the legwork.' }, ...agents };
  for (const [name, fields] of Object.entries(all)) await h.vault.writeAgent(name, fields);
  await h.start();
  return h;
}

/** A message from boss to another agent, asking to be called back: what boss's Write tool would leave. */
function delegate(vault: TempVault, name: string, to: string, body: string, fields: FrontmatterData = {}): Promise<string> {
  return vault.writeMessage(name, to, body, { from: 'boss', reply_to: 'boss', correlation_id: `c-${name}`, delegation_depth: 1, ...fields });
}

/** Every callback note in Inbox/. */
async function callbackNotes(vault: TempVault): Promise<string[]> {
  const found: string[] = [];
  for (const p of await vault.list('Inbox')) {
    if ((await vault.fields(p)).callback === true) found.push(p);
  }
  return found;
}

/** Wait until the message is linked to its callback; returns the callback's path. */
async function callbackOf(vault: TempVault, messagePath: string, timeoutMs = PATIENCE_MS): Promise<string> {
  const link = await waitFor(async () => (await vault.fields(messagePath)).callback_note, { timeoutMs, what: `${messagePath} callback_note` });
  return linkedPath(link);
}

const invocationsFor = (harness: Harness, notePath: string): Invocation[] => harness.fake.invocations().filter((i) => messageNoteOf(i) === notePath);

describe('a delegated message calls its sender back', () => {
  it('the worker runs; a callback to boss with the result, the correlation id and source links appears, and runs as a boss turn', async () => {
    h = await start();
    const msg = await delegate(h.vault, 'task', 'worker', 'Find the population of Rome.');

    const done = await waitForStatus(h.vault, msg, 'done');
    const cbPath = await callbackOf(h.vault, msg);
    expect(cbPath).toMatch(/^Inbox\/.+ boss - callback from worker\.md$/);
    const cb = await waitForStatus(h.vault, cbPath, 'done');
    expect(cb).toMatchObject({
      tags: ['agent/message/inbound'],
      to: 'boss',
      from: 'worker',
      callback: true,
      outcome: 'ok',
      correlation_id: 'c-task',
      source_agent: 'worker',
      source_thread: '[[Threads/worker]]',
      source_message: '[[Inbox/task]]',
      source_reply: done.reply,
      delegation_depth: 2,
    });
    expect('reply_to' in cb).toBe(false);

    // The worker's reply is in the callback's body.
    const replyPath = linkedPath(done.reply);
    const body = await h.vault.body(cbPath);
    expect(body).toContain('worker finished the message you sent.');
    expect(body).toContain((await h.vault.body(replyPath)).trim());

    // The worker saw boss's message framed as an agent's request; boss saw the callback framed as information.
    const [workerTurn] = invocationsFor(h, msg);
    expect(workerTurn!.prompt).toContain('The message below comes from the agent "boss", not from the user.');
    const bossTurns = invocationsFor(h, cbPath);
    expect(bossTurns).toHaveLength(1);
    expect(bossTurns[0]!.prompt).toContain('This is a callback');
    expect(bossTurns[0]!.prompt).toContain('not instructions from the user');
    expect(h.finished.filter((f) => f.entry.agent === 'boss').map((f) => f.entry.message)).toEqual([cbPath]);

    // The chain reads forward: the message and its reply both link the callback.
    const link = `[[${cbPath.replace(/\.md$/, '')}]]`;
    expect((await h.vault.fields(msg)).callback_note).toBe(link);
    expect((await h.vault.fields(replyPath)).callback_note).toBe(link);

    // The callback started no callback of its own.
    await h.daemon.idle();
    expect(await callbackNotes(h.vault)).toEqual([cbPath]);
  });

  it('a failing worker still calls back, with outcome error and the reason in the body', async () => {
    h = await start();
    const msg = await delegate(h.vault, 'broken', 'worker', 'Try this. [[fake:fail]]');
    const failed = await waitForStatus(h.vault, msg, 'error');
    const cbPath = await callbackOf(h.vault, msg);
    const cb = await waitForStatus(h.vault, cbPath, 'done');
    expect(cb).toMatchObject({ callback: true, outcome: 'error', correlation_id: 'c-broken', source_agent: 'worker', delegation_depth: 2 });
    expect('reply_to' in cb).toBe(false);
    const body = await h.vault.body(cbPath);
    expect(body).toContain('worker could not finish the message you sent.');
    expect(body).toContain('## worker: failed (c-broken)');
    expect(String(failed.error)).toMatch(/exited with code 1/);
    expect(body).toContain(String(failed.error).trim());
    expect(invocationsFor(h, cbPath)).toHaveLength(1);
  });

  it('a delegated message to an unknown agent is marked error, and boss is still called back with outcome error', async () => {
    h = await start();
    const msg = await delegate(h.vault, 'lost', 'nobody', 'Hello? Anyone?');
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(failed.error).toMatch(/to: no agent named "nobody"/);
    const cbPath = await callbackOf(h.vault, msg);
    const cb = await waitForStatus(h.vault, cbPath, 'done');
    expect(cb).toMatchObject({ to: 'boss', callback: true, outcome: 'error', correlation_id: 'c-lost', source_agent: 'nobody' });
    expect(await h.vault.body(cbPath)).toContain('no agent named "nobody"');
    expect(invocationsFor(h, cbPath)).toHaveLength(1);
    expect(invocationsFor(h, msg)).toHaveLength(0);
  });

  it('reply_to naming an unknown agent: the message is refused with an error naming reply_to, no callback is written, and the daemon goes on', async () => {
    h = await start();
    const msg = await h.vault.writeMessage('orphan', 'worker', 'Do this for ghost.', { from: 'boss', reply_to: 'ghost', delegation_depth: 1 });
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(failed.error).toMatch(/reply_to: no agent named "ghost"/);
    const next = await h.vault.writeMessage('next', 'worker', 'Still there?');
    await waitForStatus(h.vault, next, 'done');
    await h.daemon.idle();
    expect(invocationsFor(h, msg)).toHaveLength(0);
    expect(h.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    // Nobody to call back: no callback note addressed to an agent that does not exist.
    expect(await callbackNotes(h.vault)).toEqual([]);
  });
});

describe('the depth limit', () => {
  it(`a message at delegation_depth ${MAX_DELEGATION_DEPTH} runs, writes no callback, and says why on the note`, async () => {
    h = await start();
    const msg = await delegate(h.vault, 'deep', 'worker', 'The last hop.', { delegation_depth: MAX_DELEGATION_DEPTH });
    await waitForStatus(h.vault, msg, 'done');
    const skipped = await waitFor(async () => (await h!.vault.fields(msg)).callback_skipped, { what: 'callback_skipped' });
    expect(skipped).toMatch(new RegExp(`no callback to boss: delegation depth ${MAX_DELEGATION_DEPTH} reached the limit of ${MAX_DELEGATION_DEPTH}`));
    await h.daemon.idle();
    expect(await callbackNotes(h.vault)).toEqual([]);
    expect(h.finished.map((f) => f.entry.agent)).toEqual(['worker']);
    expect((await h.vault.fields(msg)).callback_note).toBeUndefined();
    // At the limit the turn may not delegate either: no delegate tools.
    expect(argValues(invocationsFor(h, msg)[0]!.argv, '--allowedTools').filter((t) => t.startsWith('mcp__scriptorium__'))).toEqual(['mcp__scriptorium__ask_user']);
  });

  it(`a message at delegation_depth ${MAX_DELEGATION_DEPTH + 1} is refused with the depth limit, and never runs`, async () => {
    h = await start();
    const msg = await delegate(h.vault, 'too deep', 'worker', 'One hop too many.', { delegation_depth: MAX_DELEGATION_DEPTH + 1 });
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(failed.error).toMatch(new RegExp(`delegation_depth ${MAX_DELEGATION_DEPTH + 1} is past the limit of ${MAX_DELEGATION_DEPTH}`));
    await h.daemon.idle();
    expect(h.fake.invocations()).toHaveLength(0);
    expect(await callbackNotes(h.vault)).toEqual([]);
  });
});

describe('can_message', () => {
  it('boss with can_message: [worker] may not message another agent; its message to worker runs', async () => {
    h = await start({ boss: { can_message: ['worker'] }, other: { description: 'Someone else.' } });
    const refused = await h.vault.writeMessage('to other', 'other', 'Do this.', { from: 'boss', delegation_depth: 1 });
    const failed = await waitForStatus(h.vault, refused, 'error');
    expect(failed.error).toMatch(/boss may not message other: its can_message allows worker/);

    const allowed = await h.vault.writeMessage('to worker', 'worker', 'Do this.', { from: 'boss', delegation_depth: 1 });
    await waitForStatus(h.vault, allowed, 'done');
    await h.daemon.idle();
    expect(h.fake.invocations().map(messageNoteOf)).toEqual([allowed]);
  });
});

describe('the loop guard', () => {
  it(`${AGENT_MESSAGES_PER_HOUR} messages from one agent within the hour run, the next is refused; an hour later one runs again`, async () => {
    // The harness's daemon takes no clock, so this test builds its own with one it can move.
    let now = Date.UTC(2026, 10, 21, 9, 0, 0);
    const clock = { now: () => new Date(now) };
    const fake = await useFakeClaude();
    const vault = await createTempVault();
    const daemon = new Daemon({ vault: vault.root, config: TEST_CONFIG, logger: createMemoryLogger(), clock });
    try {
      // The receiver is disabled, so the messages wait queued: the guard counts them when they are
      // taken in, and no turn has to run for the test to see it (fast, and independent of load).
      await vault.writeAgent('boss');
      await vault.writeAgent('worker', { enabled: false });
      await vault.writeAgent('helper');
      await daemon.start();

      const sent: string[] = [];
      for (let i = 1; i <= AGENT_MESSAGES_PER_HOUR; i++) {
        sent.push(await vault.writeMessage(`m${String(i).padStart(2, '0')}`, 'worker', `Task ${i}.`, { from: 'boss', delegation_depth: 1 }));
      }
      await waitFor(
        async () => {
          const statuses = await Promise.all(sent.map(async (p) => String((await vault.fields(p)).status)));
          if (statuses.includes('error')) throw new Error(`refused: ${statuses.join(',')}`);
          return statuses.every((s) => s === 'queued');
        },
        { what: 'all messages accepted and waiting' },
      );

      now += 30 * 60_000; // still within the hour
      const extra = await vault.writeMessage('m31', 'worker', 'One too many.', { from: 'boss', delegation_depth: 1 });
      const refused = await waitForStatus(vault, extra, 'error');
      expect(refused.error).toBe(
        `boss has sent ${AGENT_MESSAGES_PER_HOUR} messages to agents in the last hour, the limit that stops agents looping; this one was not run. Set it back to ready later to run it.`,
      );

      // A person's message is not counted against boss.
      const fromUser = await vault.writeMessage('from user', 'helper', 'Me, not boss.');
      await waitForStatus(vault, fromUser, 'done');

      now += 31 * 60_000; // the first sends are now more than an hour old
      const later = await vault.writeMessage('m32', 'helper', 'A new hour.', { from: 'boss', delegation_depth: 1 });
      await waitForStatus(vault, later, 'done');
      expect(fake.invocations().map(messageNoteOf).sort()).toEqual([fromUser, later].sort());
    } finally {
      await daemon.close({ graceMs: 1_000 });
      await fake.restore();
      await vault.cleanup();
    }
  });
});

describe('fan-in groups', () => {
  it('two messages sharing a group call back once, after both are done, with both results', async () => {
    h = await start({ worker2: { description: 'Does other legwork.' } });
    const one = await delegate(h.vault, 'part one', 'worker', 'Part one.', { group: 'g1', group_size: 2, correlation_id: 'c1' });
    const two = await delegate(h.vault, 'part two', 'worker2', 'Part two.', { group: 'g1', group_size: 2, correlation_id: 'c2' });

    const doneOne = await waitForStatus(h.vault, one, 'done');
    const doneTwo = await waitForStatus(h.vault, two, 'done');
    const cbPath = await callbackOf(h.vault, one);
    expect(await callbackOf(h.vault, two)).toBe(cbPath);
    expect(cbPath).toMatch(/ boss - callback group g1\.md$/);
    const cb = await waitForStatus(h.vault, cbPath, 'done');
    await h.daemon.idle();

    expect(await callbackNotes(h.vault)).toEqual([cbPath]);
    expect(cb).toMatchObject({ to: 'boss', callback: true, outcome: 'ok', group: 'g1', delegation_depth: 2 });
    expect('reply_to' in cb).toBe(false);
    expect([...(cb.correlation_id as string[])].sort()).toEqual(['c1', 'c2']);
    expect([...(cb.source_message as string[])].sort()).toEqual(['[[Inbox/part one]]', '[[Inbox/part two]]']);
    const body = await h.vault.body(cbPath);
    expect(body).toContain('Results of the group "g1" (2 of 2 finished).');
    expect(body).toContain('## worker: done (c1)');
    expect(body).toContain('## worker2: done (c2)');
    expect(body).toContain((await h.vault.body(linkedPath(doneOne.reply))).trim());
    expect(body).toContain((await h.vault.body(linkedPath(doneTwo.reply))).trim());
    // One boss turn, for the one callback.
    expect(h.finished.filter((f) => f.entry.agent === 'boss').map((f) => f.entry.message)).toEqual([cbPath]);
  });

  it('one member failing fires the callback at once, with the slow member marked still running', async () => {
    h = await start({ worker2: {} });
    const bad = await delegate(h.vault, 'bad part', 'worker', 'This breaks. [[fake:fail]]', { group: 'g2', group_size: 2, correlation_id: 'c-bad' });
    // Held until the callback has been read, however long the failing member takes on a busy machine.
    const slow = await delegate(h.vault, 'slow part', 'worker2', 'This takes a while. [[fake:gate:slow]]', { group: 'g2', group_size: 2, correlation_id: 'c-slow' });

    const cbPath = await callbackOf(h.vault, bad);
    // The callback exists while the slow member is still going.
    expect(['queued', 'running']).toContain(String((await h.vault.fields(slow)).status));
    const cb = await h.vault.fields(cbPath);
    expect(cb).toMatchObject({ to: 'boss', callback: true, outcome: 'error', group: 'g2' });
    const body = await h.vault.body(cbPath);
    expect(body).toContain('(1 of 2 finished; one failed)');
    expect(body).toContain('## worker: failed (c-bad)');
    expect(body).toContain(String((await h.vault.fields(bad)).error).trim());
    expect(body).toContain('## worker2: still running (c-slow)');

    // The slow one finishes later and does not call back a second time.
    await h.fake.openGate('slow');
    await waitForStatus(h.vault, slow, 'done');
    await waitForStatus(h.vault, cbPath, 'done');
    await h.daemon.idle();
    expect(await callbackNotes(h.vault)).toEqual([cbPath]);
    expect(h.finished.filter((f) => f.entry.agent === 'boss')).toHaveLength(1);
  });

  it('a group_deadline in the past fires the callback at once with what has finished', async () => {
    h = await start({ worker2: {} });
    const first = await delegate(h.vault, 'early part', 'worker', 'Quick part.', { group: 'g3', group_size: 2, correlation_id: 'c-early' });
    const doneFirst = await waitForStatus(h.vault, first, 'done');
    await h.daemon.idle();
    // One of two finished and no deadline yet: nothing to report.
    expect(await callbackNotes(h.vault)).toEqual([]);

    // Held until the callback has been read: it must be written while this member still runs.
    const late = await delegate(h.vault, 'late part', 'worker2', 'Slow part. [[fake:gate:late]]', {
      group: 'g3',
      group_size: 2,
      correlation_id: 'c-late',
      group_deadline: '2020-01-01T00:00:00+00:00',
    });
    const cbPath = await callbackOf(h.vault, first);
    expect(String((await h.vault.fields(late)).status)).not.toBe('done');
    const cb = await h.vault.fields(cbPath);
    expect(cb).toMatchObject({ to: 'boss', callback: true, group: 'g3', outcome: 'error' });
    const body = await h.vault.body(cbPath);
    expect(body).toContain('(1 of 2 finished; the deadline passed)');
    expect(body).toContain('## worker: done (c-early)');
    expect(body).toContain((await h.vault.body(linkedPath(doneFirst.reply))).trim());
    expect(body).toContain('## worker2: still running (c-late)');

    await h.fake.openGate('late');
    await waitForStatus(h.vault, late, 'done');
    await h.daemon.idle();
    expect(await callbackNotes(h.vault)).toEqual([cbPath]);
  });
});

describe('callbacks to one agent', () => {
  it('without a group, two callbacks to boss run one after the other, in the order they arrived', async () => {
    // Every turn takes a moment, so the second callback arrives while boss is busy with the first.
    h = await start({ worker2: {} }, { env: { FAKE_CLAUDE_MODE: 'slow:400' } });
    const a = await delegate(h.vault, 'job a', 'worker', 'Job A.');
    const b = await delegate(h.vault, 'job b', 'worker2', 'Job B. [[fake:slow:700]]');
    const cbA = await callbackOf(h.vault, a);
    const cbB = await callbackOf(h.vault, b);
    await waitForStatus(h.vault, cbA, 'done');
    await waitForStatus(h.vault, cbB, 'done');
    await h.daemon.idle();

    const arrival = h.logs('message queued').map((l) => l.note).filter((n) => n === cbA || n === cbB);
    expect(arrival).toHaveLength(2);
    const bossRuns = h.fake.invocations().filter((i) => i.prompt.includes('This is a callback'));
    expect(bossRuns.map(messageNoteOf)).toEqual(arrival);
    const bossDone = h.finished.filter((f) => f.entry.agent === 'boss');
    expect(bossDone.map((f) => f.entry.message)).toEqual(arrival);
    // The second boss turn started only after the first had finished.
    expect(Date.parse(bossRuns[1]!.startedAt)).toBeGreaterThanOrEqual(bossDone[0]!.at);
  });
});

describe('the delegate tools in a turn', () => {
  it('an agent that may delegate gets --mcp-config naming the scriptorium server and --strict-mcp-config; one with can_message: [] gets ask_user and approvals only', async () => {
    h = await start({ loner: { can_message: [] } });
    const plan = await h.vault.writeMessage('plan', 'boss', 'Plan a trip to Rome.');
    const alone = await h.vault.writeMessage('alone', 'loner', 'Work alone.');
    await waitForStatus(h.vault, plan, 'done');
    await waitForStatus(h.vault, alone, 'done');

    const [bossTurn] = invocationsFor(h, plan);
    const argv = bossTurn!.argv;
    expect(argv).toContain('--strict-mcp-config');
    const config = JSON.parse(argValue(argv, '--mcp-config')!) as { mcpServers: Record<string, { type: string; command: string; args: string[] }> };
    expect(Object.keys(config.mcpServers)).toEqual(['scriptorium']);
    const server = config.mcpServers.scriptorium!;
    expect(server.type).toBe('stdio');
    expect(server.command).toBe(process.execPath);
    expect(existsSync(server.args[0]!)).toBe(true);
    expect(server.args.slice(1, 4)).toEqual(['mcp', '--vault', h.vault.root]);
    expect(JSON.parse(argValue(server.args, '--context')!)).toEqual({
      agent: 'boss',
      depth: 0,
      may: [
        { name: 'loner' },
        { name: 'worker', description: 'Does the legwork.' },
      ],
      message: plan,
      // The turn's own line to the daemon: a socket in a private folder, and a token of its own.
      channel: { socket: expect.stringMatching(/scriptorium-.*turns\.sock$/), token: expect.stringMatching(/^[0-9a-f]{48}$/) },
      approvals: true,
      ask: true,
    });
    expect(argValue(argv, '--permission-prompt-tool')).toBe('mcp__scriptorium__approve');
    const allowed = argValues(argv, '--allowedTools');
    expect(allowed).toEqual(expect.arrayContaining(['mcp__scriptorium__delegate', 'mcp__scriptorium__delegate_all', 'mcp__scriptorium__list_agents']));
    expect(bossTurn!.prompt).toContain('Use the delegate tool');

    const [lonerTurn] = invocationsFor(h, alone);
    expect(lonerTurn!.argv).toContain('--strict-mcp-config');
    const lonerContext = JSON.parse(argValue((JSON.parse(argValue(lonerTurn!.argv, '--mcp-config')!) as { mcpServers: { scriptorium: { args: string[] } } }).mcpServers.scriptorium.args, '--context')!) as { may: unknown[] };
    expect(lonerContext.may).toEqual([]);
    expect(argValues(lonerTurn!.argv, '--allowedTools').filter((t) => t.startsWith('mcp__'))).toEqual(['mcp__scriptorium__ask_user']);
    expect(lonerTurn!.prompt).not.toContain('You may hand work to these agents');
  });

  it('the server the --mcp-config starts writes a delegation the daemon runs and calls back on', async () => {
    h = await start();
    const plan = await h.vault.writeMessage('plan', 'boss', 'Plan a trip to Rome.');
    await waitForStatus(h.vault, plan, 'done');
    const server = (JSON.parse(argValue(invocationsFor(h, plan)[0]!.argv, '--mcp-config')!) as { mcpServers: { scriptorium: { command: string; args: string[] } } }).mcpServers.scriptorium;

    // What Claude Code would do with that config: start the server and call its tool.
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: server.command, args: server.args, stderr: 'pipe' }));
    let text: string;
    try {
      const result = (await client.callTool({ name: 'delegate', arguments: { to: 'worker', message: 'Find a hotel.', correlation_id: 'hotel' } })) as {
        content: Array<{ text?: string }>;
        isError?: boolean;
      };
      expect(result.isError).toBeFalsy();
      text = result.content.map((c) => c.text ?? '').join('');
    } finally {
      await client.close();
    }
    const delegated = /as (Inbox\/.+\.md) \(/.exec(text)?.[1];
    expect(delegated).toBeDefined();

    await waitForStatus(h.vault, delegated!, 'done');
    const fields = await h.vault.fields(delegated!);
    expect(fields).toMatchObject({ from: 'boss', reply_to: 'boss', correlation_id: 'hotel', delegation_depth: 1, origin_message: '[[Inbox/plan]]' });
    const cbPath = await callbackOf(h.vault, delegated!);
    const cb = await waitForStatus(h.vault, cbPath, 'done');
    expect(cb).toMatchObject({ to: 'boss', callback: true, outcome: 'ok', correlation_id: 'hotel', origin_message: '[[Inbox/plan]]' });
    // boss's answer to the callback goes to whoever asked for the plan: the user.
    expect((await h.vault.fields(linkedPath(cb.reply))).to).toBe('user');
  });
});
