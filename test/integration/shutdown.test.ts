// Stopping the daemon: running turns get their grace period, then are stopped; the vault is left readable;
// one daemon per vault.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.ts';
import { LockError } from '../../src/state/lock.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { parseFrontmatter } from '../../src/vault/frontmatter.ts';
import { isAlive } from '../helpers/fake-claude-env.ts';
import { createHarness, linkedPath, TEST_CONFIG, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { PATIENCE_MS, waitFor } from '../helpers/wait-for.ts';
import { createTempVault } from '../helpers/temp-vault.ts';

let h: Harness;
const others: Daemon[] = [];

beforeEach(async () => {
  h = await createHarness();
  await h.vault.writeAgent('worker', { timeout: '60s' });
});

afterEach(async () => {
  for (const daemon of others.splice(0)) await daemon.close({ graceMs: 500 });
  await h.close();
});

describe('close()', () => {
  it('lets a running turn finish within the grace period', async () => {
    await h.start();
    // Held until close() waits for it: a turn that ended before close() was called would prove nothing.
    const msg = await h.vault.writeMessage('slow', 'worker', 'Take a second [[fake:gate:slow]]');
    await waitForStatus(h.vault, msg, 'running');

    const closed = h.daemon.close({ graceMs: PATIENCE_MS });
    await waitFor(() => h.logs('waiting for running turns').length > 0, { what: 'close() waiting for the turn' });
    await h.fake.openGate('slow');
    await closed;
    const fields = await h.vault.fields(msg);
    expect(fields.status).toBe('done');
    expect(await h.vault.body(linkedPath(fields.reply))).toContain('fake reply to:');
    expect(h.logs('waiting for running turns')).toHaveLength(1);
    expect(h.logs('stopping running turns')).toHaveLength(0);
    expect(h.logs('stopped')).toHaveLength(1);
  });

  it('stops a turn still running when the grace period ends, and leaves every note readable', async () => {
    await h.start();
    const msg = await h.vault.writeMessage('hangs', 'worker', 'Never answers [[fake:hang]]');
    await waitForStatus(h.vault, msg, 'running');
    const waiting = await h.vault.writeMessage('waiting', 'worker', 'Behind the hanging one.');
    await waitForStatus(h.vault, waiting, 'queued');
    // `running` is written as the process starts; on a busy machine it may not have got as far as its log.
    await waitFor(() => h.fake.invocations().length === 1, { what: 'the hanging turn started' });

    await h.daemon.close({ graceMs: 200 });
    const fields = await h.vault.fields(msg);
    expect(fields.status).toBe('error');
    expect(fields.error).toBe('The turn was stopped because Scriptorium shut down.');
    expect((await h.vault.fields(linkedPath(fields.reply))).status).toBe('error');
    expect((await h.vault.fields('Threads/worker.md')).status).toBe('error');
    // The message behind it did not start; it stays queued for the next start.
    expect((await h.vault.fields(waiting)).status).toBe('queued');
    expect(h.fake.invocations()).toHaveLength(1);
    const [call] = h.fake.invocations();
    await waitFor(() => !isAlive(call!.pid), { what: 'claude gone after shutdown' });

    for (const note of (await h.vault.listAll()).filter((p) => p.endsWith('.md'))) {
      const parsed = parseFrontmatter(await h.vault.read(note));
      expect(parsed.hasFrontmatter, note).toBe(true);
    }
    expect(h.vault.exists('.scriptorium/daemon.pid')).toBe(false);
  });

  it('can be called twice, and a message left queued runs at the next start', async () => {
    await h.start();
    const msg = await h.vault.writeMessage('hangs', 'worker', 'Never answers [[fake:hang]]');
    await waitForStatus(h.vault, msg, 'running');
    const waiting = await h.vault.writeMessage('waiting', 'worker', 'Behind the hanging one.');
    await waitForStatus(h.vault, waiting, 'queued');
    await Promise.all([h.daemon.close({ graceMs: 100 }), h.daemon.close({ graceMs: 100 })]);
    await h.daemon.close();
    expect((await h.vault.fields(msg)).status).toBe('error');

    const next = new Daemon({ vault: h.vault.root, config: TEST_CONFIG, logger: createMemoryLogger() });
    others.push(next);
    await next.start();
    await waitForStatus(h.vault, waiting, 'done');
  });
});

describe('the vault lock', () => {
  it('a second daemon on the same vault refuses to start while the first runs; after the first closes, a new one starts', async () => {
    await h.start();
    expect(h.vault.exists('.scriptorium/daemon.pid')).toBe(true);

    const second = new Daemon({ vault: h.vault.root, config: TEST_CONFIG, logger: createMemoryLogger() });
    others.push(second);
    await expect(second.start()).rejects.toBeInstanceOf(LockError);
    await expect(second.start()).rejects.toThrow(/another Scriptorium daemon .*\(pid \d+\) is already running on /);
    // The refused daemon did not take the lock away from the running one.
    await second.close();
    expect(h.vault.exists('.scriptorium/daemon.pid')).toBe(true);
    const msg = await h.vault.writeMessage('still works', 'worker', 'Still there?');
    await waitForStatus(h.vault, msg, 'done');

    await h.daemon.close();
    expect(h.vault.exists('.scriptorium/daemon.pid')).toBe(false);
    const third = new Daemon({ vault: h.vault.root, config: TEST_CONFIG, logger: createMemoryLogger() });
    others.push(third);
    await third.start();
    expect(h.vault.exists('.scriptorium/daemon.pid')).toBe(true);
    const again = await h.vault.writeMessage('third daemon', 'worker', 'And now?');
    await waitForStatus(h.vault, again, 'done');
  });
});

describe('a stop that comes while the daemon is still starting', () => {
  it.each([0, 5, 20, 60])('after %i ms: start and close both settle, and nothing is left watching or listening', async (delayMs) => {
    const vault = await createTempVault();
    try {
      await vault.writeAgent('worker');
      const daemon = new Daemon({ vault: vault.root, config: { ...TEST_CONFIG, api: { port: 0, token: 'start-close-race-token-0123' } }, logger: createMemoryLogger() });
      const started = daemon.start().then(() => 'started', (error: Error) => error.message);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await daemon.close({ graceMs: 0 });
      await started;
      expect(vault.exists('.scriptorium/api.json')).toBe(false);
      expect(vault.exists('.scriptorium/daemon.pid')).toBe(false);
      // Nothing watches any more: a message written now stays as written.
      const message = await vault.writeMessage('late', 'worker', 'Anyone there?');
      await new Promise((resolve) => setTimeout(resolve, 300)); // longer than the test config's settle time
      expect((await vault.fields(message)).status).toBeUndefined();
    } finally {
      await vault.cleanup();
    }
  });
});
