// The statuses Scriptorium writes on a message note. A free lane takes a message at once: `queued` would
// last a millisecond, so it is not written (one fsynced write less before the turn); the `running` write
// carries queued_at. A message that has to wait says `queued` while it waits.
import { afterEach, expect, it } from 'vitest';
import type { FrontmatterData } from '../../src/vault/frontmatter.ts';
import { NoteStore } from '../../src/vault/note-store.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';

const originalUpdate = NoteStore.prototype.update;
let h: Harness | undefined;
afterEach(async () => {
  NoteStore.prototype.update = originalUpdate;
  await h?.close();
  h = undefined;
});

/** Every status the daemon writes, by note, in order. */
function recordStatuses(): Map<string, Array<FrontmatterData>> {
  const writes = new Map<string, Array<FrontmatterData>>();
  NoteStore.prototype.update = function (this: NoteStore, vaultPath: string, updates: FrontmatterData) {
    if ('status' in updates) writes.set(vaultPath, [...(writes.get(vaultPath) ?? []), updates]);
    return originalUpdate.call(this, vaultPath, updates);
  };
  return writes;
}

it('a message a free lane takes is written running (with queued_at), then done; one that waits is queued first', async () => {
  const writes = recordStatuses();
  h = await createHarness();
  await h.vault.writeAgent('worker');
  await h.start();
  // Held until the second has had to wait behind it.
  const first = await h.vault.writeMessage('first', 'worker', 'Slow one [[fake:gate:first]]');
  await waitForStatus(h.vault, first, 'running');
  const second = await h.vault.writeMessage('second', 'worker', 'Behind it.');
  await waitForStatus(h.vault, second, 'queued');
  await h.fake.openGate('first');
  await waitForStatus(h.vault, second, 'done');
  await waitForStatus(h.vault, first, 'done');

  const statuses = (note: string) => writes.get(note)?.map((w) => w.status);
  expect(statuses(first)).toEqual(['running', 'done']);
  expect(writes.get(first)![0]).toHaveProperty('queued_at');
  expect(statuses(second)).toEqual(['queued', 'running', 'done']);
  const firstFields = await h.vault.fields(first);
  expect(typeof firstFields.queued_at).toBe('string');
  expect(firstFields.queued_at! <= firstFields.started_at!).toBe(true);
});
