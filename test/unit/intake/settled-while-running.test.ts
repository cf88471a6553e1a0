// Notes that settle while the daemon runs, appended to the notes index: real files in a temp vault, the
// clock and the confirming tick in the test's hands.
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identityKey, parseSettledFile, SETTLED_NOTES_FILE, SettledNotes } from '../../../src/intake/settled-notes.ts';
import { SettledWhileRunning } from '../../../src/intake/settled-while-running.ts';
import { createMemoryLogger } from '../../../src/util/logger.ts';
import { NoteStore } from '../../../src/vault/note-store.ts';

const DONE = `---\ntags: [agent/message/inbound]\nto: echo\nstatus: done\n---\nHi.\n`;
const entry = { role: 'inbound' as const, to: 'echo' };

let root: string;
let outside: string;
let now: number;
let ticks: Array<() => void>;
let stopped: number;
let logger: ReturnType<typeof createMemoryLogger>;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-settling-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-outside-'));
  await mkdir(path.join(root, '.scriptorium'));
  await mkdir(path.join(root, 'Inbox'));
  // The index as a start wrote it, holding no notes.
  await writeFile(path.join(root, SETTLED_NOTES_FILE), new SettledNotes().serialize());
  now = Date.now();
  ticks = [];
  stopped = 0;
  logger = createMemoryLogger();
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function make(options: { allowance?: number; busy?: (vaultPath: string) => boolean } = {}): SettledWhileRunning {
  return new SettledWhileRunning({
    store: new NoteStore(root),
    clock: { now: () => new Date(now) },
    logger,
    busy: options.busy ?? (() => false),
    every: (_ms, fn) => {
      ticks.push(fn);
      return () => void stopped++;
    },
    allowance: options.allowance,
  });
}

async function write(vaultPath: string, text: string): Promise<string> {
  const file = path.join(root, vaultPath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** What the next start loads from the index file. */
async function indexed(): Promise<Map<string, { key: string; entry: unknown }>> {
  return parseSettledFile(await readFile(path.join(root, SETTLED_NOTES_FILE), 'utf8')).notes;
}

async function appendedLines(): Promise<number> {
  return (await readFile(path.join(root, SETTLED_NOTES_FILE), 'utf8')).split('\n').length - 2;
}

describe('SettledWhileRunning', () => {
  it('a note reported settled is appended once it was reported 3 s before, keyed by the file it is', async () => {
    const file = await write('Inbox/a.md', DONE);
    const settling = make();
    settling.begin(0);
    settling.seen('Inbox/a.md', DONE, entry);
    now += 2_900;
    await settling.confirm();
    expect(await indexed()).toEqual(new Map());
    now += 200;
    await settling.confirm();
    expect(await indexed()).toEqual(new Map([['Inbox/a.md', { key: identityKey(await stat(file)), entry }]]));
    expect(settling.pending).toBe(0);
  });

  it('the timer looks; close looks once more and stops the timer', async () => {
    await write('Inbox/a.md', DONE);
    await write('Inbox/b.md', DONE);
    const settling = make();
    settling.begin(0);
    expect(ticks).toHaveLength(1);
    settling.seen('Inbox/a.md', DONE, entry);
    now += 5_000;
    ticks[0]!();
    await settling.confirm(); // after the tick's own look
    expect([...(await indexed()).keys()]).toEqual(['Inbox/a.md']);
    settling.seen('Inbox/b.md', DONE, entry);
    now += 5_000;
    await settling.close();
    expect([...(await indexed()).keys()]).toEqual(['Inbox/a.md', 'Inbox/b.md']);
    expect(stopped).toBe(1);
  });

  it('a note written within the last 3 s by the file system clock waits, and is appended once still', async () => {
    now -= 10_000; // the clock behind the file's ctime: the note looks just written
    await write('Inbox/a.md', DONE);
    const settling = make();
    settling.begin(0);
    settling.seen('Inbox/a.md', DONE, entry);
    now += 4_000;
    await settling.confirm();
    expect(await indexed()).toEqual(new Map());
    expect(settling.pending).toBe(1);
    now += 10_000;
    await settling.confirm();
    expect([...(await indexed()).keys()]).toEqual(['Inbox/a.md']);
  });

  it.each([
    ['changed after it was reported (the same size)', async () => void (await write('Inbox/a.md', DONE.replace('done', 'xxxx')))],
    ['changed after it was reported (ready again)', async () => void (await write('Inbox/a.md', DONE.replace('done', 'ready')))],
    ['deleted', async () => rm(path.join(root, 'Inbox/a.md'))],
    ['replaced by a link to a copy outside the vault', async () => {
      await writeFile(path.join(outside, 'a.md'), DONE);
      await rm(path.join(root, 'Inbox/a.md'));
      await symlink(path.join(outside, 'a.md'), path.join(root, 'Inbox/a.md'));
    }],
    ['replaced by a link to a copy inside the vault', async () => {
      await write('Inbox/copy.md', DONE);
      await rm(path.join(root, 'Inbox/a.md'));
      await symlink(path.join(root, 'Inbox/copy.md'), path.join(root, 'Inbox/a.md'));
    }],
    ['its folder replaced by a link to a folder outside the vault', async () => {
      await writeFile(path.join(outside, 'a.md'), DONE);
      await rm(path.join(root, 'Inbox'), { recursive: true });
      await symlink(outside, path.join(root, 'Inbox'));
    }],
  ])('a note %s is not appended, and no longer waits', async (_what, change) => {
    await write('Inbox/a.md', DONE);
    const settling = make();
    settling.begin(0);
    settling.seen('Inbox/a.md', DONE, entry);
    await change();
    now += 5_000;
    await settling.confirm();
    expect(await indexed()).toEqual(new Map());
    expect(settling.pending).toBe(0);
  });

  it('a later report replaces the earlier one; a note found not settled withdraws it', async () => {
    const ready = DONE.replace('done', 'ready');
    await write('Inbox/a.md', DONE);
    await write('Inbox/b.md', DONE);
    const settling = make();
    settling.begin(0);
    settling.seen('Inbox/a.md', ready, entry);
    settling.seen('Inbox/a.md', DONE, entry);
    settling.seen('Inbox/b.md', DONE, entry);
    settling.unsettled('Inbox/b.md');
    now += 5_000;
    await settling.confirm();
    expect([...(await indexed()).keys()]).toEqual(['Inbox/a.md']);
  });

  it('nothing is appended before the start has written the index, nor while the message is in a lane', async () => {
    await write('Inbox/a.md', DONE);
    let busy = true;
    const settling = make({ busy: () => busy });
    settling.seen('Inbox/a.md', DONE, entry);
    now += 5_000;
    await settling.confirm();
    expect(await appendedLines()).toBe(0);
    settling.begin(0);
    await settling.confirm();
    expect(await appendedLines()).toBe(0);
    busy = false;
    await settling.confirm();
    expect(await appendedLines()).toBe(1);
  });

  it('the same file reported again is not appended again; written again, it is', async () => {
    await write('Inbox/a.md', DONE);
    const settling = make();
    settling.begin(0);
    settling.seen('Inbox/a.md', DONE, entry);
    now += 5_000;
    await settling.confirm();
    settling.seen('Inbox/a.md', DONE, entry);
    now += 5_000;
    await settling.confirm();
    expect(await appendedLines()).toBe(1);
    const changed = DONE.replace('Hi.', 'Hi!');
    const file = await write('Inbox/a.md', changed);
    settling.seen('Inbox/a.md', changed, entry);
    now += 5_000;
    await settling.confirm();
    expect(await appendedLines()).toBe(2);
    expect((await indexed()).get('Inbox/a.md')!.key).toBe(identityKey(await stat(file)));
  });

  it('stops appending once a run has appended the notes at start plus its allowance, until the next start', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) await write(`Inbox/${name}.md`, DONE);
    const settling = make({ allowance: 2 });
    settling.begin(1);
    settling.seen('Inbox/a.md', DONE, entry);
    settling.seen('Inbox/b.md', DONE, entry);
    now += 5_000;
    await settling.confirm();
    expect(await appendedLines()).toBe(2);
    settling.seen('Inbox/c.md', DONE, entry);
    settling.seen('Inbox/d.md', DONE, entry);
    now += 5_000;
    await settling.confirm();
    expect(await appendedLines()).toBe(2);
    expect(logger.lines.filter((l) => l.msg.startsWith('the notes index has had as many notes appended'))).toHaveLength(1);
    settling.seen('Inbox/e.md', DONE, entry);
    now += 5_000;
    await settling.confirm();
    expect(await appendedLines()).toBe(2);
    expect(stopped).toBe(1);
  });

  it('no index file: nothing is created, and nothing more is tried', async () => {
    await rm(path.join(root, SETTLED_NOTES_FILE));
    await write('Inbox/a.md', DONE);
    const settling = make();
    settling.begin(0);
    settling.seen('Inbox/a.md', DONE, entry);
    now += 5_000;
    await settling.confirm();
    await expect(stat(path.join(root, SETTLED_NOTES_FILE))).rejects.toThrow();
    expect(logger.lines.filter((l) => l.msg === 'could not add to the notes index; notes settled since are read at the next start')).toHaveLength(1);
    expect(settling.pending).toBe(0);
  });

  it('a note over the size limit is not read whole, nor appended', async () => {
    const big = DONE + 'x'.repeat(2_000);
    await write('Inbox/a.md', big);
    const settling = new SettledWhileRunning({ store: new NoteStore(root, { maxNoteBytes: 1_000 }), clock: { now: () => new Date(now) }, logger, busy: () => false, every: () => () => {} });
    settling.begin(0);
    settling.seen('Inbox/a.md', big, entry);
    now += 5_000;
    await settling.confirm();
    expect(await appendedLines()).toBe(0);
  });
});
