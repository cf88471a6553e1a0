// The daemon reads the vault itself at start and is ready before chokidar watches every folder (its
// initial scan takes ~4× as long as reading the notes). What changes in that window — after the start-up
// read, before the folder is watched — is seen by neither: the daemon walks the vault once more when
// chokidar is ready. Here chokidar is held back until the test lets it go, so the window is as wide as
// the test wants and the changes land in it for certain.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/state/journal.ts';
import { VaultWatcher } from '../../src/watch/vault-watcher.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { inboundNote } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const originalStart = VaultWatcher.prototype.start;
const originalReadAll = Journal.prototype.readAll;
let h: Harness | undefined;
afterEach(async () => {
  VaultWatcher.prototype.start = originalStart;
  Journal.prototype.readAll = originalReadAll;
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
  // The daemon's first Dashboard.md is in the window too (on a busy machine its fsynced write can take
  // seconds to land).
  await waitFor(() => h!.vault.exists('Dashboard.md'), { what: 'Dashboard.md written' });

  release();
  await h.daemon.watching();
  // The three changes, and the daemon's own Dashboard.md written since the read (dropped as its own write).
  expect(h.logs('watching vault')[0]?.lookedAgain).toBe(4);
  await waitForStatus(h.vault, 'Inbox/new.md', 'done');
  await waitForStatus(h.vault, 'Inbox/draft.md', 'done');
  await waitFor(() => (h!.daemon.agentStatuses().every((a) => a.name !== 'helper') ? true : undefined), { what: 'helper removed' });

  // And chokidar watches from then on: a later message runs too.
  await h.vault.write('Inbox/later.md', inboundNote('worker', 'After the window.'));
  await waitForStatus(h.vault, 'Inbox/later.md', 'done');
});

/**
 * Runs `act` at the moment recovery reads the journal: after the start-up read and the definitions,
 * before the messages found at start are taken in and before the schedules start.
 */
function duringStart(act: () => Promise<void>): void {
  Journal.prototype.readAll = async function (this: Journal) {
    Journal.prototype.readAll = originalReadAll;
    await act();
    return originalReadAll.call(this);
  };
}

describe('changes made while the daemon starts', () => {
  it('a message set back to draft after the start-up read is not queued from the text read before', async () => {
    // b waits behind a in the lane, so it would be written `queued`, over the user's draft.
    h = await createHarness({ files: { 'Inbox/a.md': inboundNote('worker', 'Slow [[fake:slow:500]]'), 'Inbox/b.md': inboundNote('worker', 'Run me?') } });
    await h.vault.writeAgent('worker');
    duringStart(() => h!.vault.write('Inbox/b.md', inboundNote('worker', 'Run me?', { status: 'draft' })));
    await h.start();
    await waitForStatus(h.vault, 'Inbox/a.md', 'done');
    await h.daemon.idle();
    expect((await h.vault.fields('Inbox/b.md')).status).toBe('draft');
    expect(h.fake.invocations()).toHaveLength(1);
  });

  it('a HALT.md made after the first look stops the messages found at start', async () => {
    h = await createHarness({ files: { 'Inbox/m.md': inboundNote('worker', 'Waiting for the halt to go.') } });
    await h.vault.writeAgent('worker');
    duringStart(() => h!.vault.write('HALT.md', 'Stop everything.\n'));
    await h.start();
    await h.daemon.idle();
    expect(h.fake.invocations()).toHaveLength(0);
    expect(h.daemon.dashboardSnapshot().halted).toBe(true);
  });

  it("a definition edited by the user, then written by Scriptorium (its next_run), still has the user's edit read", async () => {
    h = await createHarness();
    const definition = await h.vault.writeAgent('morning', { schedule: '0 9 * * *', tz: 'UTC' });
    // Disabled by the user in the window; the scheduler then writes next_run onto that very text, all
    // before chokidar watches (it is held back until next_run is there).
    duringStart(async () => void (await h!.vault.writeAgent('morning', { schedule: '0 9 * * *', tz: 'UTC', enabled: false })));
    const release = holdWatcherBack();
    await h.daemon.start();
    await waitFor(async () => ((await h!.vault.fields(definition)).next_run ? true : undefined), { what: 'next_run written' });
    expect(h.daemon.agentStatuses().find((a) => a.name === 'morning')?.enabled).toBe(true);
    release();
    await waitFor(() => (h!.daemon.agentStatuses().find((a) => a.name === 'morning')?.enabled === false ? true : undefined), { what: 'morning disabled' });
  });
});
