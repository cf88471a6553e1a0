// Files that are not plain notes (symbolic links, a FIFO, a link to a device) are never read: neither at
// start nor while running; the daemon says so in the log and goes on with the real notes.
import { execFileSync } from 'node:child_process';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const message = (text: string) => `---\ntags: [agent/message/inbound]\nto: worker\n---\n${text}\n`;

it('starts past a FIFO, a link to a device and a link to a folder, and runs the notes beside them', async () => {
  h = await createHarness();
  await h.vault.writeAgent('worker');
  await mkdir(path.join(h.vault.root, 'Inbox'), { recursive: true });
  execFileSync('mkfifo', [path.join(h.vault.root, 'Inbox/pipe.md')]);
  await symlink('/dev/zero', path.join(h.vault.root, 'Inbox/zero.md'));
  await symlink('/tmp', path.join(h.vault.root, 'Inbox/folder.md'));
  await writeFile(path.join(h.vault.root, 'Inbox/real.md'), message('A real question.'));
  await h.start();
  await waitForStatus(h.vault, 'Inbox/real.md', 'done');
  expect(h.logs('symbolic link ignored').map((l) => l.note).sort()).toEqual(['Inbox/folder.md', 'Inbox/zero.md']);
});

it('a link made while running is refused without being read, and the next note still runs', async () => {
  h = await createHarness();
  await h.vault.writeAgent('worker');
  await h.start();
  await mkdir(path.join(h.vault.root, 'Inbox'), { recursive: true });
  await symlink('/tmp', path.join(h.vault.root, 'Inbox/link.md'));
  await symlink('/dev/zero', path.join(h.vault.root, 'Inbox/zero.md'));
  await waitFor(() => h!.logs('symbolic link ignored').length >= 2 || undefined);
  // Renamed into place, as a sync tool writes: the daemon is alive and takes it in.
  await writeFile(path.join(h.vault.root, 'after.tmp'), message('Still there?'));
  await rename(path.join(h.vault.root, 'after.tmp'), path.join(h.vault.root, 'Inbox/after.md'));
  await waitForStatus(h.vault, 'Inbox/after.md', 'done');
});
