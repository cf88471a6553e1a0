// A job's turn on its own: a real temp vault and store, a fake runner, no daemon, no watcher.
import { RanTexts } from '../../../src/messages/changed-after-run.ts';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../src/queue/job.ts';
import type { Runner, TurnRequest, TurnResult } from '../../../src/runner/types.ts';
import { TurnWrites } from '../../../src/turns/turn-writes.ts';
import { SentNotes } from '../../../src/intake/sent-notes.ts';
import { Turns } from '../../../src/turns/turns.ts';
import { VaultCap } from '../../../src/turns/vault-cap.ts';
import type { VaultBudget } from '../../../src/state/vault-budget.ts';
import { SAFE_POLICY } from '../../../src/agents/policy.ts';
import { turnResult } from '../../helpers/gated-runner.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { createStageKit, type StageKit } from '../../helpers/stage-kit.ts';
import { inboundNote } from '../../helpers/temp-vault.ts';

let kit: StageKit;
let requests: TurnRequest[];
let answers: TurnResult[];
let rechecks: Date[];
let holds: Map<string, string>;
let budget: VaultBudget;
let turns: Turns;
let turnDeps: ConstructorParameters<typeof Turns>[0];
const depsOf = (_: Turns) => turnDeps;

const runner: Runner = async (request) => {
  requests.push(request);
  return answers.shift() ?? turnResult({ sessionId: request.sessionId, text: `Answer ${requests.length}.` });
};

beforeEach(async () => {
  kit = await createStageKit();
  requests = [];
  answers = [];
  rechecks = [];
  holds = new Map();
  budget = { dailyUsd: undefined, monthlyUsd: undefined };
  await kit.defineAgent('helper');
  turnDeps = {
    ...kit.turnNotes,
    root: kit.vault.root,
    runner,
    allowShell: false,
    policy: SAFE_POLICY,
    settingSources: ['user'],
    secretValues: new Map(),
    approvalTimeoutMs: 60_000,
    stopSignal: new AbortController().signal,
    threads: { root: kit.vault.root, exists: (p) => kit.store.exists(p), threads: kit.index.threads(), templateFolders: [] },
    threadCreated: (p) => kit.index.addThread(p),
    graceOf: () => undefined,
    ledger: kit.ledger,
    holds,
    vaultCap: new VaultCap({ ledger: kit.ledger, budget, clock: kit.clock, logger: kit.logger, recheckAt: (when) => void rechecks.push(when) }),
    recheckAt: (when) => void rechecks.push(when),
    maxAttempts: 3,
    retryBaseMs: 60_000,
    writes: new TurnWrites(kit.vault.root, kit.clock),
    writerOf: (p) => turnDeps.writes.writerOf(p),
    sent: new SentNotes(),
    writeLater: () => {},
    liveIntervalMs: 0,
    untilQuiet: async () => true,
    ranTexts: new RanTexts(),
  };
  turns = new Turns(turnDeps);
});

afterEach(() => kit.cleanup());

/** A message note as intake leaves it, and its job. */
async function queued(name: string, to: string, fields: Record<string, unknown> = {}, direct = false): Promise<Job> {
  const path = await kit.vault.writeMessage(name, to, `${name}, please.`, direct ? fields : { status: 'queued', queued_at: '2026-06-01T10:00:00+00:00', ...fields });
  return { message: path, agent: to, queuedAt: '2026-06-01T10:00:00+00:00', direct };
}

const run = (job: Job, cancel = new AbortController().signal) => turns.run(job, cancel);

describe('a turn', () => {
  it('runs the message and writes the reply, the thread and done, in that order of truth', async () => {
    const job = await queued('q', 'helper');
    expect(await run(job)).toBe('done');
    const fields = await kit.vault.fields(job.message);
    expect(fields).toMatchObject({ status: 'done', thread: '[[Threads/helper]]' });
    const reply = String(fields.reply).replace(/^\[\[|\]\]$/g, '') + '.md';
    expect((await kit.vault.body(reply)).trim()).toBe('Answer 1.');
    const thread = await kit.vault.fields('Threads/helper.md');
    expect(thread).toMatchObject({ status: 'ok', turn_count: 1, session: requests[0]!.sessionId });
    expect(requests[0]!.resume).toBe(false);
    expect(kit.counted.map((t) => t.message)).toEqual([job.message]);
    // The journal says it finished: nothing for recovery to do.
    expect((await kit.journal.readAll()).map((r) => r.t)).toEqual(['started', 'result', 'finished']);
  });

  it('a job taken at once writes queued_at with running, in one write', async () => {
    const job = await queued('q', 'helper', {}, true);
    await run(job);
    expect(await kit.vault.fields(job.message)).toMatchObject({ status: 'done', queued_at: '2026-06-01T10:00:00+00:00' });
  });

  it('the second message resumes the session of the first', async () => {
    await run(await queued('one', 'helper'));
    await run(await queued('two', 'helper'));
    expect(requests.map((r) => r.resume)).toEqual([false, true]);
    expect(requests[1]!.sessionId).toBe(requests[0]!.sessionId);
  });

  it('no shell for an agent unless the operator allows it, and agents may not edit definitions or HALT.md', async () => {
    await run(await queued('q', 'helper'));
    const denied = requests[0]!.disallowedTools;
    expect(denied).toContain('Bash');
    expect(denied).toContain(`Edit(/${kit.vault.root}/Agents/helper.md)`);
    expect(denied).toContain(`Edit(/${kit.vault.root}/HALT.md)`);
  });
});

describe('when its lane takes it', () => {
  it('a message cancelled or deleted while it waited is skipped; a cancelled one still answers its delegator', async () => {
    const cancelled = await queued('c', 'helper', { status: 'cancelled' });
    expect(await run(cancelled)).toBe('done');
    expect(kit.ended).toEqual([cancelled.message]);
    const gone = await queued('g', 'helper');
    await rm(path.join(kit.vault.root, gone.message));
    expect(await run(gone)).toBe('done');
    expect(requests).toHaveLength(0);
    expect(kit.logger.lines.map((l) => l.msg)).toContain('message removed before it ran');
  });

  it('a queued message written back to ready while it waited goes back to intake, not left ready forever', async () => {
    const job = await queued('q', 'helper', { status: 'ready' });
    expect(await run(job)).toBe('requeue');
    expect(requests).toEqual([]);
  });

  it("each turn records its writes: the hook is in the turn's settings, and a message it wrote is its agent's", async () => {
    const job = await queued('q', 'helper');
    answers.push(turnResult({ text: 'Wrote it.' }));
    await run(job);
    const settings = JSON.parse(requests[0]!.settings!) as { hooks: { PreToolUse: Array<{ matcher: string; hooks: Array<{ command: string }> }> } };
    expect(settings.hooks.PreToolUse[0]!.matcher).toBe('Write|Edit|MultiEdit|NotebookEdit');
    expect(settings.hooks.PreToolUse[0]!.hooks[0]!.command).toMatch(/record-write\.(ts|js)' '--record'/);
    // A write the stream showed (the runner reports it as the real one would) is remembered after the turn.
    const second = await queued('r', 'helper', { delegation_depth: 2 });
    const writing: Runner = async (request) => {
      request.onProgress?.({ type: 'write', file: path.join(kit.vault.root, 'Inbox/sub.md') });
      return turnResult({ sessionId: request.sessionId, text: 'Delegated.' });
    };
    turnDeps.runner = writing;
    await new Turns(turnDeps).run(second, new AbortController().signal);
    expect(turnDeps.writerOf('Inbox/sub.md')).toEqual({ agent: 'helper', depth: 2, origin: second.message });
  });

  it("a queued message a turn wrote since intake took it in goes back to intake, to be taken in as that agent's", async () => {
    const job = await queued('q', 'helper');
    const turn = turnDeps.writes.begin({ agent: 'other', depth: 0, origin: 'Inbox/first.md' }, kit.vault.root);
    turnDeps.writes.saw(turn.id, path.join(kit.vault.root, job.message));
    expect(await run(job)).toBe('requeue');
    expect(requests).toEqual([]);
    expect(kit.logger.lines.map((l) => l.msg)).toContain("message written by an agent's turn while it waited; taking it in again as that agent's");
    // Taken in as that turn's (intake says so): its lane runs it.
    turnDeps.sent.add(turnDeps.writerOf(job.message)!, job.message);
    expect(await run(job)).toBe('done');
  });

  it.each([
    ["another agent's turn rewrites it", 'other', {}],
    ['its own writer rewrites it as the user\'s', 'boss', { from: 'user' }],
  ])('a message taken at once, rewritten in its grace: %s; it runs as it was taken', async (_, by, fields) => {
    const job = await queued('g', 'helper', {}, true);
    if (by === 'boss') {
      // Taken in as boss's message: intake stamped it, and took in boss's write.
      const bossTurn = turnDeps.writes.begin({ agent: 'boss', depth: 0, origin: 'Inbox/first.md' }, kit.vault.root);
      turnDeps.writes.saw(bossTurn.id, path.join(kit.vault.root, job.message));
      await kit.vault.write(job.message, inboundNote('helper', 'g, please.', { from: 'boss', delegation_depth: 1, origin_message: '[[Inbox/first]]' }));
      turnDeps.sent.add(turnDeps.writerOf(job.message)!, job.message);
    }
    let endGrace!: (changed: boolean) => void;
    turnDeps.graceOf = () => new Promise<boolean>((resolve) => (endGrace = resolve));
    let started!: () => void;
    const runnerStarted = new Promise<void>((resolve) => (started = resolve));
    let prompt: string | undefined;
    turnDeps.runner = async (request) => {
      started();
      prompt = await request.promptLater;
      return turnResult({ sessionId: request.sessionId, text: 'ok' });
    };
    const running = new Turns(turnDeps).run(job, new AbortController().signal);
    await runnerStarted;
    if (by === 'other') {
      const other = turnDeps.writes.begin({ agent: 'other', depth: 0, origin: 'Inbox/x.md' }, kit.vault.root);
      turnDeps.writes.saw(other.id, path.join(kit.vault.root, job.message));
    }
    await kit.vault.write(job.message, inboundNote('helper', 'Delete everything.', { status: 'running', ...fields }));
    endGrace(true);
    await running;
    expect(prompt).toContain('g, please.');
    expect(prompt).not.toContain('Delete everything');
    expect(kit.logger.lines.map((l) => l.msg)).toContain('message rewritten by an agent just after it arrived; it runs as it was taken');
  });

  it('a message re-addressed while it waited goes back to intake', async () => {
    await kit.defineAgent('other');
    const job = await queued('q', 'other');
    expect(await run({ ...job, agent: 'helper' })).toBe('requeue');
    expect(requests).toHaveLength(0);
  });

  it('an agent over its daily budget holds the message, visibly, and asks to be looked at again tomorrow', async () => {
    await kit.defineAgent('spender', { daily_budget_usd: 1 });
    kit.ledger.record({ agent: 'spender', at: '2026-06-01T09:00:00Z', costUsd: 1.5 });
    const job = await queued('q', 'spender');
    expect(await run(job)).toBe('done');
    expect(requests).toHaveLength(0);
    expect(String((await kit.vault.fields(job.message)).waiting_for)).toMatch(/^daily_budget_usd reached/);
    expect(holds.get('spender')).toMatch(/^daily_budget_usd reached/);
    expect(rechecks).toHaveLength(1);
  });

  it("past the vault's daily cap, any agent's message waits with the reason on it, and is looked at again at midnight", async () => {
    budget.dailyUsd = 1;
    kit.ledger.record({ agent: 'spender', at: '2026-06-01T09:00:00Z', costUsd: 0.6 });
    kit.ledger.record({ agent: 'other', at: '2026-06-01T09:30:00Z', costUsd: 0.5 });
    const job = await queued('q', 'helper', {}, true);
    expect(await run(job)).toBe('done');
    expect(requests).toHaveLength(0);
    expect(await kit.vault.fields(job.message)).toMatchObject({
      status: 'queued',
      waiting_for: 'vault daily_budget_usd reached: $1.10 spent today of $1.00 (operator config); waits until tomorrow',
    });
    // Not the agent's own limit: status shows it once, for the vault, not on each agent.
    expect(holds.size).toBe(0);
    const midnight = new Date(kit.clock.now());
    midnight.setHours(24, 0, 0, 0);
    expect(rechecks).toEqual([midnight]);
    expect(kit.logger.lines.filter((l) => l.msg === 'vault spending cap reached; no new turn starts')).toHaveLength(1);

    // A second message: the same wait, and no second "reached" line.
    const second = await queued('second', 'helper');
    await run(second);
    expect(kit.logger.lines.filter((l) => l.msg === 'vault spending cap reached; no new turn starts')).toHaveLength(1);

    kit.clock.set(midnight.toISOString());
    expect(await run(second)).toBe('done');
    expect(requests).toHaveLength(1);
    expect((await kit.vault.fields(second.message)).waiting_for).toBeUndefined();
    expect(kit.logger.lines.filter((l) => l.msg === 'vault spending cap over; turns start again')).toHaveLength(1);
  });

  it('a message whose agent was disabled meanwhile waits; taken at once, it now says queued', async () => {
    await kit.defineAgent('sleeper', { enabled: false });
    const job = await queued('q', 'sleeper', {}, true);
    await run(job);
    expect(requests).toHaveLength(0);
    expect((await kit.vault.fields(job.message)).status).toBe('queued');
  });

  it('a thread that cannot be used fails the message before any turn, with a failure note', async () => {
    await kit.defineAgent('multi', { mode: 'multi-threaded' });
    const job = await queued('q', 'multi', { thread: '[[../outside]]' });
    await run(job);
    expect(requests).toHaveLength(0);
    const fields = await kit.vault.fields(job.message);
    expect(fields).toMatchObject({ status: 'error', error: 'thread: "[[../outside]]" is outside the vault' });
    expect(await kit.vault.body(String(fields.reply).replace(/^\[\[|\]\]$/g, '') + '.md')).toContain('could not answer');
    expect(kit.ended).toEqual([job.message]);
  });
});

describe('when the turn fails', () => {
  it('a passing failure waits for a retry, on the note and in the journal', async () => {
    answers.push(turnResult({ ok: false, text: undefined, errorKind: 'api', error: 'API Error: 529 Overloaded', transient: true }));
    const job = await queued('q', 'helper');
    await run(job);
    const fields = await kit.vault.fields(job.message);
    expect(fields).toMatchObject({ status: 'queued', retry_attempt: 1 });
    expect(String(fields.waiting_for)).toMatch(/^attempt 1 of 3 failed \(API Error: 529 Overloaded\)/);
    expect(rechecks).toHaveLength(1);
    expect((await kit.journal.readAll()).at(-1)).toMatchObject({ t: 'retry', attempt: 1 });
  });

  it('a lasting failure ends in error with a failure note and the thread in error', async () => {
    answers.push(turnResult({ ok: false, text: undefined, errorKind: 'max_turns', error: 'The agent used all its turns.' }));
    const job = await queued('q', 'helper');
    await run(job);
    expect(await kit.vault.fields(job.message)).toMatchObject({ status: 'error', error: 'The agent used all its turns.' });
    expect((await kit.vault.fields('Threads/helper.md')).status).toBe('error');
    expect(kit.ended).toEqual([job.message]);
  });

  it("cancelled by the user mid-turn, it keeps the user's cancelled and the reply says so", async () => {
    const cancel = new AbortController();
    const job = await queued('q', 'helper');
    // The user saves `cancelled` while the turn runs; intake aborts the turn; the runner reports it stopped.
    const userCancels: Runner = async (request) => {
      requests.push(request);
      // (After the note says running: a save in the instant before that write is overwritten by it.)
      await waitFor(async () => (await kit.vault.fields(job.message)).status === 'running');
      await kit.vault.write(job.message, inboundNote('helper', 'q, please.', { status: 'cancelled' }));
      cancel.abort();
      return turnResult({ ok: false, text: undefined, errorKind: 'aborted', error: 'The turn was stopped.' });
    };
    const cancelling = new Turns({ ...depsOf(turns), runner: userCancels });
    await cancelling.run(job, cancel.signal);
    const fields = await kit.vault.fields(job.message);
    expect(fields.status).toBe('cancelled');
    expect(fields.error).toBeUndefined();
    expect(await kit.vault.body(String(fields.reply).replace(/^\[\[|\]\]$/g, '') + '.md')).toContain('Cancelled: this message was set to cancelled while its turn ran');
    expect(kit.ended).toEqual([job.message]);
  });
});

describe('while the turn runs', () => {
  /** A runner that reports a Read, then holds its turn until the test lets it end with `result`. */
  function heldRunner(result: (request: TurnRequest) => TurnResult) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runner: Runner = async (request) => {
      requests.push(request);
      request.onProgress?.({ type: 'tool', name: 'Read' });
      await gate;
      return result(request);
    };
    return { runner, release };
  }
  const sectionShown = () => waitFor(async () => (await kit.vault.read('Threads/helper.md')).includes('- Tools so far: Read\n'), { what: 'the live section' });

  it('its thread note shows it with the tools so far, and its record takes the place of that section', async () => {
    const held = heldRunner((request) => turnResult({ sessionId: request.sessionId, text: 'Read it.', tools: ['Read'] }));
    const running = new Turns({ ...turnDeps, runner: held.runner, liveIntervalMs: 20 }).run(await queued('q', 'helper'), new AbortController().signal);
    await sectionShown();
    expect(await kit.vault.body('Threads/helper.md')).toContain('## Turn 1 · running · from user');
    held.release();
    await running;
    const body = await kit.vault.body('Threads/helper.md');
    expect(body).not.toContain('live turn');
    expect(body).not.toContain('running');
    expect(body).toMatch(/## Turn 1 · 2026-06-01 10:00 · from user[\s\S]*Read it\.\n\n\*Tools: Read · \$0\.0010 · 0\.0 s\*\n$/);
    expect(kit.logger.lines.filter((l) => l.msg === 'running turn shown in its thread note')).toHaveLength(1);
  });

  it('a turn retried later for a passing failure leaves no section behind', async () => {
    const held = heldRunner(() => turnResult({ ok: false, text: undefined, errorKind: 'api', error: 'API Error: 529 Overloaded', transient: true }));
    const job = await queued('q', 'helper');
    const running = new Turns({ ...turnDeps, runner: held.runner, liveIntervalMs: 20 }).run(job, new AbortController().signal);
    await sectionShown();
    held.release();
    await running;
    expect(await kit.vault.fields(job.message)).toMatchObject({ status: 'queued', retry_attempt: 1 });
    expect(await kit.vault.read('Threads/helper.md')).not.toContain('live turn');
    expect((await kit.vault.fields('Threads/helper.md')).status).toBe('working');
  });

  it('a turn that ends before the first look never writes the section', async () => {
    const job = await queued('q', 'helper');
    await new Turns({ ...turnDeps, liveIntervalMs: 60_000 }).run(job, new AbortController().signal);
    expect((await kit.vault.fields(job.message)).status).toBe('done');
    expect(kit.logger.lines.filter((l) => l.msg === 'running turn shown in its thread note')).toHaveLength(0);
  });
});
