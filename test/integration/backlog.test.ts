// A backlog: many messages dropped at once (a sync tool), all waiting behind a turn that is held. Each
// queued message is only its record (the note stays on disk); its turn reads the note as it is then.
import { randomUUID } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { messageNoteOf } from '../helpers/fake-claude-env.ts';
import { inboundNote } from '../helpers/temp-vault.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** As a sync tool lands a note: whole, by a rename. */
async function land(root: string, vaultPath: string, text: string): Promise<void> {
  const target = path.join(root, vaultPath);
  const tmp = path.join(path.dirname(target), `.${randomUUID()}.tmp`);
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, target);
}

it('a burst of messages queues behind a running turn; each runs in the order queued, with its note as it is when its turn comes', async () => {
  h = await createHarness();
  await h.vault.writeAgent('worker');
  await h.start();
  const first = await h.vault.writeMessage('first', 'worker', 'Slow one [[fake:gate:first]]');
  await waitForStatus(h.vault, first, 'running');

  // More notes at once than intake takes in at once (watch/note-line.ts).
  const burst = Array.from({ length: 20 }, (_, i) => `Inbox/burst-${String(i).padStart(2, '0')}.md`);
  await Promise.all(burst.map((note, i) => land(h!.vault.root, note, inboundNote('worker', `Burst message ${i}: the text it was queued with.`))));
  for (const note of burst) await waitForStatus(h.vault, note, 'queued');

  // Edited while it waits: its new text, not the one it was queued with, is what its turn runs.
  const edited = burst[5]!;
  const queuedText = await h.vault.read(edited);
  await land(h.vault.root, edited, queuedText.replace('Burst message 5: the text it was queued with.', 'Burst message 5, rewritten while it waited.'));
  await h.fake.openGate('first');
  for (const note of burst) await waitForStatus(h.vault, note, 'done');

  const queuedOrder = h.logs('message queued', { agent: 'worker' }).map((line) => line.note);
  const runOrder = h.fake.invocations().map((invocation) => messageNoteOf(invocation));
  expect(runOrder).toEqual(queuedOrder.filter((note, i) => queuedOrder.indexOf(note) === i));
  expect(new Set(runOrder).size).toBe(burst.length + 1);
  const prompt = h.fake.invocations().find((invocation) => messageNoteOf(invocation) === edited)!.prompt;
  expect(prompt).toContain('Burst message 5, rewritten while it waited.');
  expect(prompt).not.toContain('the text it was queued with');
});
