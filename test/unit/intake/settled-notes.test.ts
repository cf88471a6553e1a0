import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identityKey, loadSettledNotes, parseSettledFile, parseSettledNotes, SETTLED_NOTES_FILE, settledLine, SettledNotes } from '../../../src/intake/settled-notes.ts';
import { createMemoryLogger } from '../../../src/util/logger.ts';
import type { FileStamp } from '../../../src/vault/walk.ts';

const WRITTEN = Date.UTC(2026, 0, 10, 9, 0, 0);
const stamp = (over: Partial<FileStamp> = {}): FileStamp => ({ dev: 2049, ino: 1234, size: 812, mtimeMs: WRITTEN + 0.25, ctimeMs: WRITTEN + 0.5, ...over });
const LATER = WRITTEN + 60_000;
const done = { role: 'inbound' as const, to: 'researcher', error: undefined };

/** An index written by one start, as the next start loads it. */
function reloaded(index: SettledNotes): SettledNotes {
  return new SettledNotes(parseSettledNotes(index.serialize()));
}

describe('SettledNotes', () => {
  it('a note in the same file and write of it is known at the next start, with what start needs of it', () => {
    const first = new SettledNotes();
    first.record('Inbox/a.md', stamp(), { role: 'inbound', to: 'researcher', replyTo: 'agents/boss.md', group: 'g1', origin: 'Inbox/o.md', error: 'boom' }, LATER);
    first.record('Threads/researcher.md', stamp({ ino: 99 }), { role: 'thread' }, LATER);
    const next = reloaded(first);
    expect(next.lookup('Inbox/a.md', stamp())).toEqual({ role: 'inbound', to: 'researcher', replyTo: 'agents/boss.md', group: 'g1', origin: 'Inbox/o.md', error: 'boom' });
    expect(next.lookup('Threads/researcher.md', stamp({ ino: 99 }))).toEqual({ role: 'thread' });
  });

  it.each([
    ['another file renamed into place (another inode)', { ino: 1235 }],
    ['another device (the vault copied elsewhere)', { dev: 2050 }],
    ['another size', { size: 813 }],
    ['another mtime', { mtimeMs: WRITTEN + 1 }],
    // Same size (`ready` for `done`), mtime put back by a sync tool or `touch -r`: only ctime tells.
    ['the same size and mtime, another ctime', { ctimeMs: WRITTEN + 7 }],
  ])('a note is parsed again when its file changed: %s', (_what, change) => {
    const first = new SettledNotes();
    first.record('Inbox/a.md', stamp(), done, LATER);
    expect(reloaded(first).lookup('Inbox/a.md', stamp(change))).toBeUndefined();
  });

  it('a note is known only under its own path', () => {
    const first = new SettledNotes();
    first.record('Inbox/a.md', stamp(), done, LATER);
    expect(reloaded(first).lookup('Inbox/b.md', stamp())).toBeUndefined();
  });

  it('a note changed within the last few seconds before it was read is not vouched for (it may change again in the same clock tick)', () => {
    const index = new SettledNotes();
    index.record('Inbox/a.md', stamp(), done, WRITTEN + 1_000);
    index.record('Inbox/b.md', stamp({ ctimeMs: WRITTEN + 10_000 }), done, WRITTEN + 5_000); // ctime ahead of the clock
    expect(index.size).toBe(0);
    expect(reloaded(index).lookup('Inbox/a.md', stamp())).toBeUndefined();
  });

  it('keeps only the notes found at this start: one deleted since is dropped from the file', () => {
    const first = new SettledNotes();
    first.record('Inbox/a.md', stamp(), done, LATER);
    first.record('Inbox/gone.md', stamp({ ino: 7 }), done, LATER);
    const next = reloaded(first);
    next.lookup('Inbox/a.md', stamp());
    expect(next.changed).toBe(true);
    expect(reloaded(next).lookup('Inbox/gone.md', stamp({ ino: 7 }))).toBeUndefined();
    expect(reloaded(next).lookup('Inbox/a.md', stamp())).toEqual({ role: 'inbound', to: 'researcher' });
  });

  it('says it changed only when the file would say something else (an unchanged vault is not written again)', () => {
    const first = new SettledNotes();
    first.record('Inbox/a.md', stamp(), done, LATER);
    const next = reloaded(first);
    next.lookup('Inbox/a.md', stamp());
    expect(next.changed).toBe(false);
    next.drop('Inbox/a.md');
    expect(next.changed).toBe(true);
  });

  it('keys by device, inode, size, mtime and ctime', () => {
    expect(identityKey(stamp())).toBe(`2049:1234:812:${WRITTEN + 0.25}:${WRITTEN + 0.5}`);
  });
});

describe('parseSettledNotes', () => {
  const good = new SettledNotes();
  good.record('Inbox/a.md', stamp(), done, LATER);
  const text = good.serialize();

  it.each([
    ['not JSON', 'hello\n'],
    ['cut short (no last newline)', text.slice(0, -1)],
    ['cut short (a line missing)', text.split('\n').slice(0, 1).join('\n') + '\n'],
    ['another format', text.replace('"format":1', '"format":2')],
    ['a key that is not a file identity', text.replace(identityKey(stamp()), '../../etc/passwd')],
    ['a role start would have to act on', text.replace('"role":"inbound"', '"role":"definition"')],
    ['a field of another kind', text.replace('"to":"researcher"', '"to":{"toString":1}')],
    ['a field start does not know', text.replace('"to":"researcher"', '"to":"researcher","status":"ready"')],
    ['a path twice', text.replace('"notes":1', '"notes":2') + text.split('\n')[1] + '\n'],
    ['an entry with an own field named __proto__', text.replace('"role":"inbound"', '"role":"inbound","__proto__":"x"')],
  ])('refuses a file: %s', (_what, bad) => {
    expect(() => parseSettledNotes(bad)).toThrow();
  });

  it('reads what a start wrote', () => {
    expect(parseSettledNotes(text).get('Inbox/a.md')).toEqual({ key: identityKey(stamp()), entry: { role: 'inbound', to: 'researcher' } });
    expect(parseSettledFile(text).appended).toBe(false);
  });
});

describe('lines appended while a daemon ran', () => {
  const start = new SettledNotes();
  start.record('Inbox/a.md', stamp(), done, LATER);
  start.record('Threads/t.md', stamp({ ino: 9 }), { role: 'thread' }, LATER);
  const written = start.serialize();
  const thread = stamp({ ino: 9, size: 900, mtimeMs: LATER, ctimeMs: LATER });

  it('a later line for a note wins over an earlier one; the lines a start wrote are kept', () => {
    const text = written + settledLine('Threads/t.md', identityKey(stamp({ ino: 9, size: 850 })), { role: 'thread' }) + settledLine('Inbox/new.md', identityKey(stamp({ ino: 10 })), done) + settledLine('Threads/t.md', identityKey(thread), { role: 'thread' });
    const { notes, appended } = parseSettledFile(text);
    expect(appended).toBe(true);
    expect([...notes.keys()].sort()).toEqual(['Inbox/a.md', 'Inbox/new.md', 'Threads/t.md']);
    expect(notes.get('Threads/t.md')!.key).toBe(identityKey(thread));
    const next = new SettledNotes(notes);
    expect(next.lookup('Threads/t.md', thread)).toEqual({ role: 'thread' });
    expect(next.lookup('Inbox/new.md', stamp({ ino: 10 }))).toEqual({ role: 'inbound', to: 'researcher' });
  });

  it('a last line cut short (a crash in the middle of an append) is dropped; the rest is read', () => {
    const whole = settledLine('Inbox/new.md', identityKey(stamp({ ino: 10 })), done);
    const text = written + settledLine('Inbox/b.md', identityKey(stamp({ ino: 11 })), done) + whole.slice(0, 25);
    const { notes, appended } = parseSettledFile(text);
    expect(appended).toBe(true);
    expect([...notes.keys()].sort()).toEqual(['Inbox/a.md', 'Inbox/b.md', 'Threads/t.md']);
  });

  it.each([
    ['an appended line out of shape before the last', () => written + '["Inbox/b.md","nonsense",{"role":"inbound"}]\n' + settledLine('Inbox/c.md', identityKey(stamp()), done)],
    ['an appended line cut short before the last', () => written + settledLine('Inbox/b.md', identityKey(stamp()), done).slice(0, 20) + '\n' + settledLine('Inbox/c.md', identityKey(stamp()), done)],
    ['a line the start wrote cut short', () => written.slice(0, -10)],
    ['fewer lines than the header counts', () => written.split('\n').slice(0, 2).join('\n') + '\n'],
    ['a header counting lines that are not there', () => written.replace('"notes":2', '"notes":3')],
    ['a header whose count is not a count', () => written.replace('"notes":2', '"notes":"2"')],
  ])('refuses the whole file: %s', (_what, text) => {
    expect(() => parseSettledFile(text())).toThrow();
  });

  it('a file with appended lines is written afresh at the next start, compacted: one line per note', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-settled-'));
    try {
      await mkdir(path.join(root, '.scriptorium'));
      await writeFile(path.join(root, SETTLED_NOTES_FILE), written + settledLine('Threads/t.md', identityKey(thread), { role: 'thread' }));
      const next = await loadSettledNotes(root, createMemoryLogger());
      next.lookup('Inbox/a.md', stamp());
      next.lookup('Threads/t.md', thread);
      expect(next.changed).toBe(true);
      const compacted = next.serialize();
      expect(parseSettledFile(compacted).appended).toBe(false);
      expect(compacted.split('\n')).toHaveLength(4);
      expect(reloaded(next).lookup('Threads/t.md', thread)).toEqual({ role: 'thread' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('loadSettledNotes', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-settled-'));
    await mkdir(path.join(root, '.scriptorium'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('no file yet: an empty index, nothing said; the start writes one (notes settling while it runs are added to it)', async () => {
    const logger = createMemoryLogger();
    const index = await loadSettledNotes(root, logger);
    expect(index.lookup('Inbox/a.md', stamp())).toBeUndefined();
    expect(logger.lines.filter((l) => l.level !== 'debug')).toEqual([]);
    expect(index.changed).toBe(true);
  });

  it('a corrupt file is said once in the log and ignored whole: every note is parsed, and the file is written afresh', async () => {
    const first = new SettledNotes();
    first.record('Inbox/a.md', stamp(), done, LATER);
    first.record('Inbox/b.md', stamp({ ino: 5 }), done, LATER);
    // The first entry fine, the second cut off: nothing of the file is trusted.
    const lines = first.serialize().split('\n');
    await writeFile(path.join(root, SETTLED_NOTES_FILE), [lines[0], lines[1], lines[2]!.slice(0, 20)].join('\n') + '\n');
    const logger = createMemoryLogger();
    const index = await loadSettledNotes(root, logger);
    expect(index.lookup('Inbox/a.md', stamp())).toBeUndefined();
    expect(logger.lines.filter((l) => l.msg === 'notes index unreadable; every note is read')).toHaveLength(1);
  });

  it('a folder where the file should be is ignored the same way', async () => {
    await mkdir(path.join(root, SETTLED_NOTES_FILE));
    const logger = createMemoryLogger();
    const index = await loadSettledNotes(root, logger);
    expect(index.size).toBe(0);
    expect(logger.lines.filter((l) => l.msg === 'notes index unreadable; every note is read')).toHaveLength(1);
  });

  it('the file a start wrote is read back', async () => {
    const first = new SettledNotes();
    first.record('Inbox/a b/ä.md', stamp(), done, LATER);
    await writeFile(path.join(root, SETTLED_NOTES_FILE), first.serialize());
    const index = await loadSettledNotes(root, createMemoryLogger());
    expect(index.lookup('Inbox/a b/ä.md', stamp())).toEqual({ role: 'inbound', to: 'researcher' });
  });
});
