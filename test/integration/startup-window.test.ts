// The daemon reads the vault itself at start and is ready before chokidar watches every folder (its
// initial scan takes ~4× as long as reading the notes). What changes in that window — after the start-up
// read, before the folder is watched — is seen by neither: the daemon walks the vault once more when
// chokidar is ready. Here chokidar is held back until the test lets it go, so the window is as wide as
// the test wants and the changes land in it for certain.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { VaultWatcher } from '../../src/watch/vault-watcher.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { inboundNote } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const originalStart = VaultWatcher.prototype.start;
let h: Harness | undefined;
afterEach(async () => {
  VaultWatcher.prototype.start = originalStart;
  await h?.close();
  h = undefined;
});

/** chokidar starts only when `release` is called. */
function holdWatcherBack(): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  VaultWatcher.prototype.start = function (this: VaultWatcher, reportExisting?: boolean) {
    return gate.then(() => originalStart.call(this, reportExisting));
  };
  return release;
}

it('a note written, edited or removed after the start-up read and before its folder was watched is still handled', async () => {
  h = await createHarness({
    files: {
      'Inbox/draft.md': inboundNote('worker', 'Held back until ready.', { status: 'draft' }),
    },
  });
  await h.vault.writeAgent('worker');
  await h.vault.writeAgent('helper');
  const release = holdWatcherBack();
  await h.daemon.start();
  expect(h.daemon.agentStatuses().map((a) => a.name).sort()).toEqual(['helper', 'worker']);

  // In the window: a new message in a folder that exists, a draft set to ready, an agent removed.
  await h.vault.write('Inbox/new.md', inboundNote('worker', 'Arrived in the window.'));
  await h.vault.write('Inbox/draft.md', inboundNote('worker', 'Held back until ready.', { status: 'ready' }));
  await rm(path.join(h.vault.root, 'Agents/helper.md'));

  release();
  await h.daemon.watching();
  // The three changes, and the daemon's own Dashboard.md written since the read (dropped as its own write).
  expect(h.logs('watching vault')[0]?.lookedAgain).toBe(4);
  await waitForStatus(h.vault, 'Inbox/new.md', 'done', 15_000);
  await waitForStatus(h.vault, 'Inbox/draft.md', 'done', 15_000);
  await waitFor(() => (h!.daemon.agentStatuses().every((a) => a.name !== 'helper') ? true : undefined), { timeoutMs: 15_000, what: 'helper removed' });

  // And chokidar watches from then on: a later message runs too.
  await h.vault.write('Inbox/later.md', inboundNote('worker', 'After the window.'));
  await waitForStatus(h.vault, 'Inbox/later.md', 'done', 15_000);
});
