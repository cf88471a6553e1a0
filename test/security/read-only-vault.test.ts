// The vault's filesystem is read-only: the daemon says so once and waits, and goes on when it becomes
// writable; a turn's notes refused by a read-only remount are written once it is writable again;
// `scriptorium send` answers with one sentence and exit code 1.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli-process.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { closeMounted, mountRefusal, mountTmpfs, remount } from '../helpers/tmpfs.ts';
import { waitFor } from '../helpers/wait-for.ts';

const skipped = mountRefusal ? ` (skipped: ${mountRefusal})` : '';
let h: Harness | undefined;
let mounted: string | undefined;

afterEach(async () => {
  await closeMounted(h, mounted);
  h = mounted = undefined;
});

async function onTmpfs(): Promise<Harness> {
  h = await createHarness({ config: { writeRetryBaseMs: 50, writeRetryMaxMs: 500, dashboard: false } });
  mountTmpfs(h.vault.root, '2m');
  mounted = h.vault.root;
  await h.vault.writeAgent('worker');
  return h;
}

const said = (harness: Harness) => harness.logs('cannot write to the vault; notes are written once it can be written again');

describe('a read-only vault', () => {
  it.skipIf(mountRefusal !== undefined)(`at start: said once, then the daemon waits and goes on once it is writable${skipped}`, async () => {
    const h = await onTmpfs();
    const message = await h.vault.writeMessage('early', 'worker', 'Waiting for the disk.');
    remount(h.vault.root, 'ro');
    const started = h.start();
    started.catch(() => {}); // awaited below; a failure here must not go unhandled meanwhile
    await waitFor(() => h.logs('waiting until the vault can be written').length > 0, { what: 'the wait said' });
    expect(said(h)).toHaveLength(1);
    expect(said(h)[0]).toMatchObject({ cause: 'it is read-only (EROFS)' });
    remount(h.vault.root, 'rw');
    await started;
    await waitForStatus(h.vault, message, 'done');
    expect(said(h)).toHaveLength(1);
  });

  it.skipIf(mountRefusal !== undefined)(`during a turn: its notes are written once it is writable again${skipped}`, async () => {
    const h = await onTmpfs();
    await h.start();
    const message = await h.vault.writeMessage('held', 'worker', 'Hold on [[fake:gate:ro]]');
    await waitForStatus(h.vault, message, 'running');
    remount(h.vault.root, 'ro');
    await h.fake.openGate('ro');
    await waitFor(() => said(h).length > 0, { what: 'the read-only vault said' });
    remount(h.vault.root, 'rw');
    await waitForStatus(h.vault, message, 'done');
    expect(said(h)).toHaveLength(1);
    expect(h.logs('could not write the error onto the note').filter((l) => l.level === 'error')).toEqual([]);
  });

  it.skipIf(mountRefusal !== undefined)(`scriptorium send: one sentence and exit code 1${skipped}`, async () => {
    const h = await onTmpfs();
    remount(h.vault.root, 'ro');
    const ran = await runCli(inject('cliBin'), ['send', 'worker', 'hello', '--vault', h.vault.root], { cwd: h.vault.root, env: { ...process.env } });
    expect(ran.code).toBe(1);
    // Only the sentence: not the note that the message will run when a daemon starts, since it was never written.
    expect(ran.stderr.trim()).toBe(`scriptorium send: cannot write to the vault at ${h.vault.root}: it is read-only (EROFS)`);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).not.toMatch(/\n\s+at /);
  });
});
