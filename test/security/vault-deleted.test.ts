// The vault folder is removed while the daemon runs: it says so and stops, its lock released, rather than
// hanging on a folder that is gone or failing every write for ever. It never makes the folder again (a
// recursive mkdir for its state would, and on ext4 the new folder even has the old one's inode).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { spawnCli, stopCli, type Running } from '../helpers/cli-process.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { FAKE_CLAUDE } from '../helpers/fake-claude-env.ts';
import { acquireLock } from '../../src/state/lock.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
let work: string | undefined;
let cli: Running | undefined;
afterEach(async () => {
  if (cli) await stopCli(cli);
  cli = undefined;
  await h?.close();
  h = undefined;
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 10 });
  work = undefined;
});

/** Resolves with the sentence once the daemon has stopped by itself. */
function stoppedItself(harness: Harness): () => string | undefined {
  let reason: string | undefined;
  void harness.daemon.stoppedItself().then((r) => (reason = r));
  return () => reason;
}

describe('the vault folder removed while the daemon runs', () => {
  it('moved away (to the trash): the daemon logs it, stops by itself and releases its lock', async () => {
    h = await createHarness({ config: { vaultCheckMs: 50, dashboard: false } });
    await h.vault.writeAgent('worker');
    await h.start();
    const message = await h.vault.writeMessage('first', 'worker', 'Hello.');
    await waitForStatus(h.vault, message, 'done');
    const reason = stoppedItself(h);

    // A rename is what a trash does, and is atomic: no write of the daemon's can land halfway through.
    const trash = `${h.vault.root}-trash`;
    await rename(h.vault.root, trash);
    await waitFor(reason, { what: 'the daemon stopped by itself' });
    await rm(trash, { recursive: true, force: true });
    expect(reason()).toBe(`the vault folder ${h.vault.root} was removed while the daemon ran`);
    expect(h.logs('the vault folder was removed; stopping')).toHaveLength(1);
    expect(h.logs('stopped')).toHaveLength(1);
    expect(existsSync(h.vault.root)).toBe(false);
    // The lock is free: a daemon on a new folder of that name may start.
    await mkdir(h.vault.root);
    const release = await acquireLock(h.vault.root);
    await release();
  });

  it('removed during a turn: the turn is stopped, the daemon stops, and the folder is not made again', async () => {
    h = await createHarness({ config: { vaultCheckMs: 50, dashboard: false } });
    await h.vault.writeAgent('worker');
    await h.start();
    const message = await h.vault.writeMessage('held', 'worker', 'Hold on [[fake:gate:held]]');
    await waitForStatus(h.vault, message, 'running');
    const reason = stoppedItself(h);

    // A write of the daemon's into a folder rm has not reached yet makes rm's rmdir fail (ENOTEMPTY): rm
    // tries again, as a person deleting the folder would.
    await rm(h.vault.root, { recursive: true, force: true, maxRetries: 5 });
    // Whichever comes first, the end of the turn (its notes, the journal, the status file all fail to
    // be written) or the check that stops the daemon, nothing lands in a new folder of that name.
    await h.fake.openGate('held');
    await waitFor(reason, { what: 'the daemon stopped by itself' });
    expect(h.logs('stopped')).toHaveLength(1);
    expect(existsSync(h.vault.root)).toBe(false);
  });

  it('scriptorium start says so in a sentence and exits 1, leaving no folder of that name behind', async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-vault-deleted-'));
    const vault = path.join(work, 'vault');
    await mkdir(vault);
    // The operator config of this machine must not leak into the test.
    const config = path.join(work, 'config.yaml');
    await writeFile(config, 'dashboard: false\n');
    const env = { ...process.env, SCRIPTORIUM_CONFIG: config, SCRIPTORIUM_VAULT: undefined };
    cli = spawnCli(inject('cliBin'), ['start', vault, '--claude', FAKE_CLAUDE, '--log-format', 'json'], { cwd: work, env });
    await waitFor(() => cli!.stderr().includes('"msg":"watching vault"'), { what: 'the daemon watching the vault' }).catch((error: Error) => {
      throw new Error(`${error.message}\nstderr of start:\n${cli!.stderr()}`);
    });

    let exited: Awaited<Running['exited']> | undefined;
    void cli.exited.then((ran) => (exited = ran));
    await rename(vault, path.join(work, 'trash'));
    const ran = await waitFor(() => exited, { what: 'start exited by itself' });
    expect(ran.code, ran.stderr).toBe(1);
    expect(ran.stderr).toContain(`scriptorium: the vault folder ${vault} was removed while the daemon ran; stopped.`);
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    // Its log file, status file and lock all lived in the vault: none of them made it again.
    expect(existsSync(vault)).toBe(false);
  });
});
