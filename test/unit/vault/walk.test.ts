import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { notesChangedSince, readVaultAtStart } from '../../../src/watch/startup-read.ts';
import { createMemoryLogger } from '../../../src/util/logger.ts';
import { walkNotesSync } from '../../../src/vault/walk.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'walk-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(vaultPath: string, text = 'x\n'): Promise<void> {
  await mkdir(path.dirname(path.join(root, vaultPath)), { recursive: true });
  await writeFile(path.join(root, vaultPath), text);
}

const agentMessage = '---\ntags: [agent/message/inbound]\nto: a\n---\nHi\n';

it('lists markdown notes in path order, as the watcher sees them: no dot-folders, node_modules or other files; links not followed', async () => {
  await put('b.md');
  await put('A/z.md');
  await put('A/B/c.MD');
  await put('.obsidian/workspace.md');
  await put('A/.trash/old.md');
  await put('node_modules/pkg/readme.md');
  await put('A/picture.png');
  await mkdir(path.join(root, 'Outside'));
  await put('Outside/hidden.md');
  await symlink(path.join(root, 'Outside'), path.join(root, 'A/linked-folder'));
  await symlink('/dev/zero', path.join(root, 'A/zero.md'));
  execFileSync('mkfifo', [path.join(root, 'pipe.md')]);

  const walked = walkNotesSync(root).map((n) => [n.path, n.kind]);
  expect(walked).toEqual([
    ['A/B/c.MD', 'file'],
    ['A/z.md', 'file'],
    ['A/zero.md', 'link'],
    ['Outside/hidden.md', 'file'],
    ['b.md', 'file'],
    ['pipe.md', 'other'],
  ]);
});

it('reads the vault at start: only notes that may be ours go on, with their text when it fit; a FIFO is never opened', async () => {
  await put('Inbox/m.md', agentMessage);
  await put('Daily/today.md', '---\ntags: [daily]\n---\nNothing to do with agents.\n');
  await put('Plain.md', 'No frontmatter, though it mentions agent/message/inbound.\n');
  await put('Windows/bom.md', `\uFEFF${agentMessage.replace(/\n/g, '\r\n')}`);
  await put('Big/huge.md', `---\ntags: [agent/message/inbound]\n---\n${'y'.repeat(70_000)}\n`);
  await symlink('/dev/zero', path.join(root, 'zero.md'));
  execFileSync('mkfifo', [path.join(root, 'pipe.md')]);

  const found = await readVaultAtStart(root, createMemoryLogger());
  const byPath = Object.fromEntries(found.map((n) => [n.path, n]));
  expect(byPath['Inbox/m.md']).toMatchObject({ mayBeOurs: true, raw: agentMessage });
  expect(byPath['Daily/today.md']).toMatchObject({ mayBeOurs: false });
  expect(byPath['Daily/today.md']!.raw).toBeUndefined();
  expect(byPath['Plain.md']).toMatchObject({ mayBeOurs: false });
  expect(byPath['Windows/bom.md']).toMatchObject({ mayBeOurs: true });
  // More than the 64 KB read: intake reads it whole itself.
  expect(byPath['Big/huge.md']).toMatchObject({ mayBeOurs: true });
  expect(byPath['Big/huge.md']!.raw).toBeUndefined();
  // Neither is read: a link goes to intake (which refuses it), a FIFO nowhere.
  expect(byPath['zero.md']).toEqual({ path: 'zero.md', mayBeOurs: true });
  expect(byPath['pipe.md']).toEqual({ path: 'pipe.md', mayBeOurs: false });
});

it('after the start-up read: new, changed and removed notes are found, unchanged ones are not; a FIFO never, a link only when new', async () => {
  await put('same.md', 'same\n');
  await put('edited.md', 'before\n');
  await put('renamed-over.md', 'same size\n');
  await put('removed.md');
  await symlink('/dev/zero', path.join(root, 'old-link.md'));
  await put('became-link.md');
  await put('became-fifo.md');
  const read = new Map((await readVaultAtStart(root, createMemoryLogger())).map((n) => [n.path, n.version]));

  await put('edited.md', 'after, and longer\n');
  await put('tmp.txt', 'same size\n');
  execFileSync('mv', [path.join(root, 'tmp.txt'), path.join(root, 'renamed-over.md')]);
  await rm(path.join(root, 'removed.md'));
  await put('New/new.md');
  await symlink('/dev/zero', path.join(root, 'new-link.md'));
  execFileSync('mkfifo', [path.join(root, 'pipe.md')]);
  await rm(path.join(root, 'became-link.md'));
  await symlink('/dev/zero', path.join(root, 'became-link.md'));
  await rm(path.join(root, 'became-fifo.md'));
  execFileSync('mkfifo', [path.join(root, 'became-fifo.md')]);

  const changes = await notesChangedSince(root, read);
  expect(changes.sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual([
    { path: 'New/new.md', event: 'add' },
    // Intake refuses the link (and forgets the note); a FIFO is never read: the note is gone.
    { path: 'became-fifo.md', event: 'unlink' },
    { path: 'became-link.md', event: 'change' },
    { path: 'edited.md', event: 'change' },
    { path: 'new-link.md', event: 'add' },
    { path: 'removed.md', event: 'unlink' },
    { path: 'renamed-over.md', event: 'change' },
  ]);
});
