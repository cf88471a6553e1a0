import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NoteStore, STATE_DIR } from '../../../src/vault/note-store.ts';
import { OwnWrites } from '../../../src/vault/own-writes.ts';

let root: string;
let store: NoteStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-store-'));
  store = new NoteStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const tmpDir = () => path.join(root, STATE_DIR, 'tmp');

describe('NoteStore.write', () => {
  it('writes the exact text, creating missing folders', async () => {
    await store.write('Outbox/deep/reply.md', '---\na: 1\n---\nbody\n');
    expect(await readFile(path.join(root, 'Outbox', 'deep', 'reply.md'), 'utf8')).toBe('---\na: 1\n---\nbody\n');
  });

  it('writes through a temp file in .scriptorium/tmp and leaves no temp file behind', async () => {
    await store.write('a.md', 'one');
    expect(existsSync(tmpDir())).toBe(true);
    expect(await readdir(tmpDir())).toEqual([]);
    expect((await readdir(root)).sort()).toEqual([STATE_DIR, 'a.md']);
  });

  it('replaces a note by rename, never by rewriting the file in place', async () => {
    await store.write('a.md', 'first');
    const before = (await stat(path.join(root, 'a.md'))).ino;
    await store.write('a.md', 'second');
    expect((await stat(path.join(root, 'a.md'))).ino).not.toBe(before);
    expect(await store.read('a.md')).toBe('second');
  });

  it('a failed write leaves no temp file and is not remembered as ours', async () => {
    await mkdir(path.join(root, 'Taken', 'child'), { recursive: true });
    await expect(store.write('Taken', 'text')).rejects.toThrow();
    expect(await readdir(tmpDir())).toEqual([]);
    expect(store.ownWrites.isOwn('Taken', 'text')).toBe(false);
  });

  it('remembers its own write: exactly those bytes are ours', async () => {
    await store.write('Inbox/q.md', '---\nstatus: queued\n---\nhi\n');
    expect(store.ownWrites.isOwn('Inbox/q.md', '---\nstatus: queued\n---\nhi\n')).toBe(true);
    expect(store.ownWrites.isOwn('Inbox/q.md', '---\nstatus: queued\n---\nhi \n')).toBe(false);
    expect(store.ownWrites.isOwn('Inbox/other.md', '---\nstatus: queued\n---\nhi\n')).toBe(false);
  });

  it("a user's edit after our write is not ours", async () => {
    await store.write('Inbox/q.md', 'ours\n');
    await writeFile(path.join(root, 'Inbox', 'q.md'), 'ours\nand the user typed more\n');
    const now = await store.read('Inbox/q.md');
    expect(store.ownWrites.isOwn('Inbox/q.md', now)).toBe(false);
  });

  it('only the latest write is remembered', async () => {
    await store.write('a.md', 'v1');
    await store.write('a.md', 'v2');
    expect(store.ownWrites.isOwn('a.md', 'v1')).toBe(false);
    expect(store.ownWrites.isOwn('a.md', 'v2')).toBe(true);
  });

  it('refuses paths outside the vault and writes nothing there', async () => {
    const outsideName = `outside-${path.basename(root)}.md`;
    await expect(store.write(`../${outsideName}`, 'x')).rejects.toThrow(/outside the vault/);
    expect(existsSync(path.join(path.dirname(root), outsideName))).toBe(false);
    await expect(store.write('/etc/scriptorium-test.md', 'x')).rejects.toThrow(/outside the vault/);
    await expect(store.read('../x.md')).rejects.toThrow(/outside the vault/);
    expect(() => store.exists('../x.md')).toThrow(/outside the vault/);
  });
});

describe('NoteStore.append', () => {
  it('adds text at the end without rewriting the note, and knows the note as it left it by size and time', async () => {
    await store.write('Threads/Archive/a.md', 'head\n');
    const before = await stat(path.join(root, 'Threads/Archive/a.md'));
    await store.append('Threads/Archive/a.md', 'one\n');
    await store.append('Threads/Archive/a.md', 'two\n');
    expect(await readFile(path.join(root, 'Threads/Archive/a.md'), 'utf8')).toBe('head\none\ntwo\n');
    // The same file (an append, not a rename over it).
    expect((await stat(path.join(root, 'Threads/Archive/a.md'))).ino).toBe(before.ino);
    expect(await store.isOwnAppend('Threads/Archive/a.md')).toBe(true);
    expect(await store.endsWith('Threads/Archive/a.md', 'one\ntwo\n')).toBe(true);
    expect(await store.endsWith('Threads/Archive/a.md', 'one\n')).toBe(false);
  });

  it("someone else's change after it, or our own atomic write, is not our append", async () => {
    await store.append('a.md', 'one\n');
    await writeFile(path.join(root, 'a.md'), 'one\nmine\n', { flag: 'a' });
    expect(await store.isOwnAppend('a.md')).toBe(false);
    await store.append('b.md', 'one\n');
    await store.write('b.md', 'two\n');
    expect(await store.isOwnAppend('b.md')).toBe(false);
  });

  it('never appends through a symbolic link, nor outside the vault', async () => {
    await writeFile(path.join(root, 'target.md'), 'mine\n');
    await symlink(path.join(root, 'target.md'), path.join(root, 'link.md'));
    await expect(store.append('link.md', 'x\n')).rejects.toThrow();
    await expect(store.append('../outside.md', 'x\n')).rejects.toThrow(/outside the vault/);
    expect(await readFile(path.join(root, 'target.md'), 'utf8')).toBe('mine\n');
  });
});

describe('NoteStore.create', () => {
  it('notes created at the same moment under the same name each get their own file', async () => {
    const paths = await Promise.all([1, 2, 3, 4, 5].map((i) => store.create('Inbox', 'same name', `note ${i}\n`)));
    expect(new Set(paths).size).toBe(5);
    const texts = await Promise.all(paths.map((p) => readFile(path.join(root, p), 'utf8')));
    expect(texts.sort()).toEqual(['note 1\n', 'note 2\n', 'note 3\n', 'note 4\n', 'note 5\n']);
  });

  it('uses the plain name when it is free', async () => {
    expect(await store.create('Outbox', 'reply', 'x')).toBe('Outbox/reply.md');
    expect(await store.read('Outbox/reply.md')).toBe('x');
  });

  it('picks name-2.md, then name-3.md, when the name is taken', async () => {
    await mkdir(path.join(root, 'Outbox'));
    await writeFile(path.join(root, 'Outbox', 'reply.md'), 'user note');
    expect(await store.create('Outbox', 'reply', 'second')).toBe('Outbox/reply-2.md');
    expect(await store.create('Outbox', 'reply', 'third')).toBe('Outbox/reply-3.md');
    expect(await store.read('Outbox/reply.md')).toBe('user note');
    expect(await store.read('Outbox/reply-2.md')).toBe('second');
  });

  it('remembers the created note as its own write', async () => {
    const created = await store.create('Outbox', 'reply', 'x');
    expect(store.ownWrites.isOwn(created, 'x')).toBe(true);
  });
});

describe('NoteStore.update', () => {
  const NOTE = '---\n# keep me\ntags: [agent/message/inbound]\nstatus: ready\n---\nThe body.\n';

  it('changes the fields and keeps the rest of the note byte for byte', async () => {
    await writeFile(path.join(root, 'q.md'), NOTE);
    const next = await store.update('q.md', { status: 'queued', queued_at: 'now' });
    const expected = '---\n# keep me\ntags: [agent/message/inbound]\nstatus: queued\nqueued_at: now\n---\nThe body.\n';
    expect(next).toBe(expected);
    expect(await store.read('q.md')).toBe(expected);
    expect(store.ownWrites.isOwn('q.md', expected)).toBe(true);
  });

  it("re-reads the note first, so the user's latest edit is kept", async () => {
    await store.write('q.md', NOTE);
    await writeFile(path.join(root, 'q.md'), NOTE.replace('The body.', 'The body, edited.'));
    await store.update('q.md', { status: 'queued' });
    expect(await store.read('q.md')).toBe(NOTE.replace('The body.', 'The body, edited.').replace('status: ready', 'status: queued'));
  });

  it('does not write when nothing changes', async () => {
    await writeFile(path.join(root, 'q.md'), NOTE);
    expect(await store.update('q.md', { error: undefined })).toBe(NOTE);
    expect(store.ownWrites.isOwn('q.md', NOTE)).toBe(false);
  });

  it('gives null for a note that is gone', async () => {
    expect(await store.update('gone.md', { status: 'queued' })).toBeNull();
    expect(existsSync(path.join(root, 'gone.md'))).toBe(false);
  });
});

describe('NoteStore.edit', () => {
  const NOTE = '---\ntags: [agent/thread]\nstatus: working\n---\n# a\n\nThe body.\n';

  it('writes what the change gives, remembered as its own write', async () => {
    await store.write('t.md', NOTE);
    const next = await store.edit('t.md', (raw) => raw + 'More.\n');
    expect(next).toBe(NOTE + 'More.\n');
    expect(await store.read('t.md')).toBe(NOTE + 'More.\n');
    expect(store.ownWrites.isOwn('t.md', next!)).toBe(true);
  });

  it("hands the change the note as the user last saved it, and does not take the result for our own write", async () => {
    await store.write('t.md', NOTE);
    await writeFile(path.join(root, 't.md'), NOTE.replace('The body.', 'The body, typed by the user.'));
    const next = await store.edit('t.md', (raw) => raw + 'More.\n');
    expect(next).toBe(NOTE.replace('The body.', 'The body, typed by the user.') + 'More.\n');
    expect(store.ownWrites.isOwn('t.md', next!)).toBe(false);
  });

  it('writes nothing when the change gives null or the same text', async () => {
    await writeFile(path.join(root, 't.md'), NOTE);
    expect(await store.edit('t.md', () => null)).toBe(NOTE);
    expect(await store.edit('t.md', (raw) => raw)).toBe(NOTE);
    expect(store.ownWrites.hasWritten('t.md')).toBe(false);
  });

  it('gives null for a note that is gone, and for one too big to hold, without calling the change', async () => {
    const small = new NoteStore(root, { maxNoteBytes: 64 });
    await writeFile(path.join(root, 'big.md'), NOTE + 'x'.repeat(100));
    let called = 0;
    const change = (raw: string) => (called++, raw + 'More.\n');
    expect(await small.edit('gone.md', change)).toBeNull();
    expect(await small.edit('big.md', change)).toBeNull();
    expect(called).toBe(0);
  });

  it('waits for an update of the same note under way, and keeps it', async () => {
    await store.write('t.md', NOTE);
    const [, edited] = await Promise.all([store.update('t.md', { status: 'ok' }), store.edit('t.md', (raw) => raw + 'More.\n')]);
    expect(edited).toBe(NOTE.replace('status: working', 'status: ok') + 'More.\n');
  });
});

describe('NoteStore reading', () => {
  it('readIfExists gives null for a missing note', async () => {
    expect(await store.readIfExists('nope.md')).toBeNull();
  });

  it('mtimeMs gives null for a missing note and a time for an existing one', async () => {
    expect(await store.mtimeMs('nope.md')).toBeNull();
    await store.write('a.md', 'x');
    expect(typeof (await store.mtimeMs('a.md'))).toBe('number');
  });

  it('removeStaleTemp clears leftovers of a crash', async () => {
    await mkdir(tmpDir(), { recursive: true });
    await writeFile(path.join(tmpDir(), 'left-over.tmp'), 'half');
    await store.removeStaleTemp();
    expect(existsSync(tmpDir())).toBe(false);
    await store.removeStaleTemp();
  });
});

describe('writes racing a user\'s save', () => {
  it('a write that finds the note changed since it was read does not land', async () => {
    await writeFile(path.join(root, 'a.md'), '---\nstatus: ready\n---\nv1\n');
    const s = await stat(path.join(root, 'a.md'));
    const version = `${s.size}:${s.mtimeMs}`;
    await writeFile(path.join(root, 'a.md'), '---\nstatus: ready\n---\nthe user saved v2 meanwhile\n');
    const landed = await store.write('a.md', '---\nstatus: queued\n---\nv1\n', { unchangedSince: version });
    expect(landed).toBe(false);
    expect(await readFile(path.join(root, 'a.md'), 'utf8')).toContain('the user saved v2 meanwhile');
  });

  it('an update after the user edited the note is not taken for our own write, so the edit is seen', async () => {
    await store.write('Agents/a.md', '---\ndescription: v0\n---\nbody\n');
    // The user saves an edit; before the watcher reads it, Scriptorium updates another field.
    await writeFile(path.join(root, 'Agents/a.md'), '---\ndescription: v1 by the user\n---\nbody\n');
    const next = await store.update('Agents/a.md', { next_run: '2026-06-01T09:00:00+00:00' });
    expect(next).toContain('description: v1 by the user');
    expect(store.ownWrites.isOwn('Agents/a.md', next!)).toBe(false);
  });

  it('an update of a note only Scriptorium changed since its last write stays its own', async () => {
    await store.write('Agents/a.md', '---\ndescription: v0\n---\nbody\n');
    const next = await store.update('Agents/a.md', { next_run: '2026-06-01T09:00:00+00:00' });
    expect(store.ownWrites.isOwn('Agents/a.md', next!)).toBe(true);
  });
});

describe('NoteStore.readBounded and a note over the size limit', () => {
  const big = (bodyBytes: number) => `---\ntags: [agent/message/inbound]\nto: helper\nstatus: ready\n---\n${'é'.repeat(bodyBytes / 2)}\n`;

  it('reads a note at most the limit whole', async () => {
    const small = new NoteStore(root, { maxNoteBytes: 1_000 });
    await writeFile(path.join(root, 'a.md'), 'x'.repeat(1_000));
    expect(await small.readBounded('a.md')).toEqual({ raw: 'x'.repeat(1_000) });
    expect(await small.readBounded('gone.md')).toBeNull();
  });

  it('a note over it gives its size and its first 64 KB only', async () => {
    const small = new NoteStore(root, { maxNoteBytes: 1_000 });
    const text = big(200_000);
    await writeFile(path.join(root, 'a.md'), text);
    const read = await small.readBounded('a.md');
    expect(read).toMatchObject({ tooBig: true, size: Buffer.byteLength(text) });
    expect(read && 'head' in read ? Buffer.byteLength(read.head) : 0).toBeLessThanOrEqual(64 * 1024 + 2);
  });

  it('updates the frontmatter of a note over the limit without holding it, every other byte kept', async () => {
    const small = new NoteStore(root, { maxNoteBytes: 1_000 });
    const text = big(200_000);
    await writeFile(path.join(root, 'a.md'), text);
    expect(await small.update('a.md', { status: 'error', error: 'too big' })).not.toBeNull();
    const after = await readFile(path.join(root, 'a.md'), 'utf8');
    expect(after).toBe(text.replace('status: ready\n', 'status: error\nerror: too big\n'));
  });
});

describe('OwnWrites', () => {
  it('remembers the latest writes only, so a long-lived daemon holds no more than a fresh one', () => {
    const own = new OwnWrites();
    for (let i = 0; i < 10_050; i++) own.remember(`Outbox/r${i}.md`, `reply ${i}`);
    expect(own.size).toBe(10_000);
    expect(own.hasWritten('Outbox/r0.md')).toBe(false);
    expect(own.isOwn('Outbox/r10049.md', 'reply 10049')).toBe(true);
    // Written again, a note is among the latest again.
    own.remember('Outbox/r50.md', 'again');
    own.remember('Outbox/new.md', 'new');
    expect(own.isOwn('Outbox/r50.md', 'again')).toBe(true);
    expect(own.hasWritten('Outbox/r51.md')).toBe(false);
  });
});
