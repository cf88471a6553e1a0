// Transient failures (overloaded, rate limited, network) are retried later with backoff, visibly, and the
// retry survives a restart; anything else fails at once.
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.ts';
import type { Runner, TurnResult } from '../../src/runner/types.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { clockFrom, createHarness, linkedPath, TEST_CONFIG, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

function result(over: Partial<TurnResult>): TurnResult {
  return {
    ok: true, text: 'Answered.', errorKind: undefined, error: undefined, transient: false, sessionId: undefined,
    costUsd: 0.001, usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
    numTurns: 1, durationMs: 10, tools: [], permissionDenials: [], exitCode: 0, signal: null, stderrTail: '', ...over,
  };
}
const overloaded = () => result({ ok: false, text: undefined, errorKind: 'api', error: 'API Error: 529 Overloaded', transient: true, exitCode: 1 });

/** A runner that answers from a script, one result per call, and counts the calls. */
function scripted(...results: TurnResult[]): Runner & { calls: number } {
  const runner = Object.assign(
    async () => {
      runner.calls++;
      return results[Math.min(runner.calls, results.length) - 1]!;
    },
    { calls: 0 },
  );
  return runner;
}

let vault: TempVault | undefined;
let daemons: Daemon[] = [];
let h: Harness | undefined;
afterEach(async () => {
  for (const d of daemons) await d.close({ graceMs: 500 });
  daemons = [];
  await vault?.cleanup();
  vault = undefined;
  await h?.close();
  h = undefined;
});

async function daemonWith(runner: Runner, config: Partial<typeof TEST_CONFIG> = {}, clock?: { now(): Date }): Promise<Daemon> {
  const daemon = new Daemon({ vault: vault!.root, runner, config: { ...TEST_CONFIG, ...config }, logger: createMemoryLogger(), ...(clock ? { clock } : {}) });
  daemons.push(daemon);
  await daemon.start();
  return daemon;
}

describe('transient failures', () => {
  it('an overloaded API is tried again after a backoff, shown on the note meanwhile, then answered', async () => {
    vault = await createTempVault();
    await vault.writeAgent('w');
    const runner = scripted(overloaded(), result({}));
    // A backoff long enough for a busy machine's test to look at the note before the retry runs.
    await daemonWith(runner, { retryBaseMs: 2_000 });
    const msg = await vault.writeMessage('m', 'w', 'Hello.');
    const waiting = await waitFor(async () => {
      const f = await vault!.fields(msg);
      return typeof f.waiting_for === 'string' ? f : null;
    }, { what: 'the message waiting for its retry' });
    expect(waiting.status).toBe('queued');
    expect(String(waiting.waiting_for)).toMatch(/^attempt 1 of 3 failed \(API Error: 529 Overloaded\); trying again at \d\d:\d\d:\d\d$/);
    expect(waiting.retry_attempt).toBe(1);
    const done = await waitForStatus(vault, msg, 'done');
    expect(runner.calls).toBe(2);
    expect(done.waiting_for).toBeUndefined();
    expect(done.retry_attempt).toBeUndefined();
    expect((await vault.body(linkedPath(done.reply))).trim()).toBe('Answered.');
    expect((await vault.list('Outbox')).filter((n) => n.endsWith('.md'))).toHaveLength(1);
  });

  it('after the last attempt the failure is final, and says how many attempts were made', async () => {
    h = await createHarness();
    await h.vault.writeAgent('w');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'w', 'Always overloaded [[fake:api-529]]');
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(String(failed.error)).toMatch(/^API Error: 529 Overloaded.*\(after 3 attempts\)$/);
    expect(h.fake.invocations()).toHaveLength(3);
    // The CLI's own retries are kept short; the daemon's are the slow ones.
    expect(h.fake.invocations()[0]!.env.CLAUDE_CODE_MAX_RETRIES).toBe('2');
  });

  it('a failure that is not transient is not retried', async () => {
    vault = await createTempVault();
    await vault.writeAgent('w');
    const runner = scripted(result({ ok: false, text: undefined, errorKind: 'max_turns', error: 'The agent stopped after reaching its turn limit.', exitCode: 1 }));
    await daemonWith(runner);
    const msg = await vault.writeMessage('m', 'w', 'Hello.');
    await waitForStatus(vault, msg, 'error');
    expect(runner.calls).toBe(1);
  });

  it('a retry waiting when the daemon stops is neither lost nor run early after a restart', async () => {
    vault = await createTempVault();
    await vault.writeAgent('w');
    const first = await daemonWith(scripted(overloaded()), { retryBaseMs: 60_000 });
    const msg = await vault.writeMessage('m', 'w', 'Hello.');
    const waiting = await waitFor(async () => (await vault!.fields(msg)).retry_at, { what: 'retry_at on the note' });
    await first.close();

    // Restarted before its time: it keeps waiting.
    const early = scripted(result({}));
    const second = await daemonWith(early);
    await second.idle();
    expect(early.calls).toBe(0);
    expect((await vault.fields(msg)).status).toBe('queued');
    await second.close();

    // Restarted after its time: it runs, once.
    const late = scripted(result({}));
    await daemonWith(late, {}, clockFrom(new Date(new Date(String(waiting)).getTime() + 1_000).toISOString()));
    await waitForStatus(vault, msg, 'done');
    expect(late.calls).toBe(1);
  });
});
