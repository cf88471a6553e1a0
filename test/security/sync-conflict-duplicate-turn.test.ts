// Attack: a sync tool's conflict copy runs a second turn. Obsidian Sync wrote `good1 (conflict 2026-12-04
// 101010).md` beside a message already answered; the daemon took it for a new message and ran it again
// (the agent acted twice, and paid twice). A conflict copy must get an `error:` naming its original and
// never run, whichever sync tool wrote it.
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const message = (text: string, status = 'ready') => `---\ntags: [agent/message/inbound]\nto: worker\nstatus: ${status}\n---\n${text}\n`;
const copyError = (original: string) => `this is a sync conflict copy of ${original}: Scriptorium does not run it. Merge what you need into ${original} and delete this copy.`;

it("an Obsidian Sync copy of a done message (the other device's `ready` version) does not run a second turn", async () => {
  h = await createHarness();
  await h.vault.writeAgent('worker');
  await h.start();
  await h.vault.write('Inbox/good1.md', message('Book the meeting room for Friday.'));
  await waitForStatus(h.vault, 'Inbox/good1.md', 'done');
  expect(h.fake.invocations()).toHaveLength(1);

  // Sync writes its copy by a rename into place, as it writes every file.
  const copy = 'Inbox/good1 (conflict 2026-12-04 101010).md';
  await writeFile(path.join(h.vault.root, 'sync.tmp'), message('Book the meeting room for Friday.'));
  await rename(path.join(h.vault.root, 'sync.tmp'), path.join(h.vault.root, copy));
  await waitFor(async () => (await h!.vault.fields(copy)).error === copyError('Inbox/good1.md') || undefined, { what: 'the error on the copy' });

  expect((await h.vault.fields(copy)).status).toBe('ready');
  expect(h.logs('sync conflict copy ignored', { note: copy, original: 'Inbox/good1.md' })).toHaveLength(1);
  // A message written after the copy runs: the copy's turn, had there been one, would have come first.
  await h.vault.write('Inbox/after.md', message('And order lunch.'));
  await waitForStatus(h.vault, 'Inbox/after.md', 'done');
  expect(h.fake.invocations()).toHaveLength(2);
  expect(h.finished.map((f) => f.entry.message)).toEqual(['Inbox/good1.md', 'Inbox/after.md']);
});

it("every sync tool's copy found at start is refused with its original named, and the originals run once", async () => {
  const copies: Array<[string, string]> = [
    ['Inbox/a (conflict 2026-12-04 101010).md', 'Inbox/a.md'], // Obsidian Sync
    ['Inbox/a (Conflicted copy Laptop 202612041010).md', 'Inbox/a.md'], // Obsidian Sync before 1.9
    ['Inbox/a.sync-conflict-20261204-101010-ABCDEFG.md', 'Inbox/a.md'], // Syncthing
    ["Inbox/a (Jane's conflicted copy 2026-12-04).md", 'Inbox/a.md'], // Dropbox
    ['Inbox/a (conflicted copy 2026-12-04 101010).md', 'Inbox/a.md'], // Nextcloud
    ['Inbox/a-DESKTOP-5G7H8J9.md', 'Inbox/a.md'], // OneDrive, Windows
    ['Inbox/b-macbook.md', 'Inbox/b.md'], // OneDrive, another host name: same body as b.md
    ['Inbox/b 2.md', 'Inbox/b.md'], // iCloud: same body
    ['Inbox/b (1).md', 'Inbox/b.md'], // Google Drive: same body
  ];
  h = await createHarness();
  await h.vault.writeAgent('worker');
  await h.vault.write('Inbox/a.md', message('First question.', 'done'));
  await h.vault.write('Inbox/b.md', message('Second question.'));
  for (const [copy, original] of copies) await h.vault.write(copy, message(original === 'Inbox/a.md' ? 'First question, edited elsewhere.' : 'Second question.'));
  // Names a person may choose, beside an original of other text: notes of their own, and they run.
  await h.vault.write('Inbox/b 3.md', message('A third question.'));
  await h.vault.write('Inbox/b (2).md', message('A fourth question.'));
  await h.start();

  for (const [copy, original] of copies) {
    await waitFor(async () => (await h!.vault.fields(copy)).error === copyError(original) || undefined, { what: `the error on ${copy}` });
  }
  await waitForStatus(h.vault, 'Inbox/b.md', 'done');
  await waitForStatus(h.vault, 'Inbox/b 3.md', 'done');
  await waitForStatus(h.vault, 'Inbox/b (2).md', 'done');
  expect(h.finished.map((f) => f.entry.message).sort()).toEqual(['Inbox/b (2).md', 'Inbox/b 3.md', 'Inbox/b.md']);
});
