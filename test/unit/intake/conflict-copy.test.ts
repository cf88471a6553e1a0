import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conflictOriginal } from '../../../src/intake/conflict-copy.ts';
import { parseFrontmatter } from '../../../src/vault/frontmatter.ts';
import { NoteStore } from '../../../src/vault/note-store.ts';

let root: string;
let store: NoteStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-conflict-'));
  store = new NoteStore(root);
  await mkdir(path.join(root, 'Inbox'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const message = (body: string, fields = 'status: ready') => `---\ntags: [agent/message/inbound]\nto: helper\n${fields}\n---\n${body}\n`;
const put = (vaultPath: string, text: string) => writeFile(path.join(root, vaultPath), text);
/** The copy as intake has it: its fields and body. */
const read = (text: string) => parseFrontmatter(text);

describe('conflictOriginal', () => {
  it('a name only a sync tool writes is a copy even with no original beside it', async () => {
    expect(await conflictOriginal(store, 'Inbox/good1 (conflict 2026-12-04 101010).md', read(message('hi')))).toBe('Inbox/good1.md');
    expect(await conflictOriginal(store, 'Inbox/good1.sync-conflict-20261204-101010-ABCDEFG.md', null)).toBe('Inbox/good1.md');
  });

  it.each([
    ['iCloud', 'Inbox/q 2.md'],
    ['Google Drive', 'Inbox/q (1).md'],
    ['OneDrive with a host name', 'Inbox/q-macbook.md'],
  ])('%s: a copy when the original beside it has the same text, its stamps aside (it ran since)', async (_tool, copy) => {
    await put('Inbox/q.md', message('What is 2+2?', 'status: done\nstarted_at: 2026-12-04T10:00:00+01:00\nreply: "[[Outbox/r]]"'));
    expect(await conflictOriginal(store, copy, read(message('What is 2+2?')))).toBe('Inbox/q.md');
  });

  it.each(['Inbox/q 2.md', 'Inbox/q (1).md', 'Inbox/q-macbook.md'])('%s with other text, or with no original, is a note of its own', async (copy) => {
    expect(await conflictOriginal(store, copy, read(message('What is 2+2?')))).toBeNull();
    await put('Inbox/q.md', message('What is 3+3?'));
    expect(await conflictOriginal(store, copy, read(message('What is 2+2?')))).toBeNull();
  });

  it('the same text with other fields of the user (another agent, another sender) is a note of its own', async () => {
    await put('Inbox/q.md', message('Summarise the week.'));
    expect(await conflictOriginal(store, 'Inbox/q 2.md', read(message('Summarise the week.', 'from: jane')))).toBeNull();
    expect(await conflictOriginal(store, 'Inbox/q 2.md', read(message('Summarise the week.').replace('to: helper', 'to: other')))).toBeNull();
  });

  it('a name a person may choose is no guess for a note that would not run (a draft, a message already done)', async () => {
    await put('Inbox/q.md', message('What is 2+2?'));
    expect(await conflictOriginal(store, 'Inbox/q 2.md', read(message('What is 2+2?', 'status: draft')))).toBeNull();
    expect(await conflictOriginal(store, 'Inbox/q 2.md', read(message('What is 2+2?', 'status: done')))).toBeNull();
    expect(await conflictOriginal(store, 'Inbox/q 2.md', read(message('What is 2+2?', 'status: queued')))).toBe('Inbox/q.md');
  });

  it('a definition beside one with the same instructions and fields is a copy; with another model it is an agent of its own', async () => {
    const definition = (fields: string) => `---\ntags: [agent/definition]\n${fields}\n---\nYou research.\n`;
    await mkdir(path.join(root, 'Agents'));
    await put('Agents/researcher.md', definition('model: opus\nnext_run: 2026-12-05T09:00:00+01:00'));
    expect(await conflictOriginal(store, 'Agents/researcher-laptop.md', read(definition('model: opus')))).toBe('Agents/researcher.md');
    expect(await conflictOriginal(store, 'Agents/researcher-fast.md', read(definition('model: haiku')))).toBeNull();
  });

  it('an ambiguous name of a note too big to read (no body) is not taken for a copy', async () => {
    await put('Inbox/q.md', message('What is 2+2?'));
    expect(await conflictOriginal(store, 'Inbox/q 2.md', null)).toBeNull();
  });

  it('an original over the size limit is not read to compare', async () => {
    const small = new NoteStore(root, { maxNoteBytes: 100 });
    await put('Inbox/q.md', message('x'.repeat(200)));
    expect(await conflictOriginal(small, 'Inbox/q 2.md', read(message('x'.repeat(200))))).toBeNull();
  });
});
