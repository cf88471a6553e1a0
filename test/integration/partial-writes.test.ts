import { appendFile, mkdir, open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, type JournalRecord } from '../../src/state/journal.ts';
import { agentNote } from '../helpers/temp-vault.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The quiet time a note written in pieces must reach before it is read: far longer than the writers' 40 ms
 * pauses, which a busy machine can stretch to a good part of a second.
 */
const SETTLE_MS = 2_000;

const originalAppend = Journal.prototype.append;
let h: Harness;
afterEach(async () => {
  Journal.prototype.append = originalAppend;
  await h?.close();
});

describe('a note still being written', () => {
  it('is read once the editor has finished, not half-done', async () => {
    h = await createHarness({ files: { 'Agents/scribe.md': agentNote(), 'Inbox/.keep': '' }, config: { settleMs: SETTLE_MS } });
    await h.start();

    // An editor writing in place, in pieces, with short pauses between them (as a slow save or a sync
    // tool streaming a file does). Not fsynced: on a busy machine one fsync can take seconds, a pause
    // longer than any settle time (see SETTLE_MS).
    const chunks = [
      '---\ntags: [agent/message/inbound]\nto: scribe\n---\n',
      'First part of the question, ',
      'second part, ',
      'and the END OF THE MESSAGE.\n',
    ];
    const handle = await open(path.join(h.vault.root, 'Inbox/long.md'), 'w');
    for (const chunk of chunks) {
      await handle.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 40)); // the writer's own pace, not a wait for an outcome
    }
    await handle.close();

    await waitForStatus(h.vault, 'Inbox/long.md', 'done');
    const runs = h.fake.invocations();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.prompt).toContain('First part of the question, second part, and the END OF THE MESSAGE.');
  });
});

describe('a note written in pieces into a folder that did not exist a moment before', () => {
  it('is read once finished (the folder is scanned, not watched, when the note appears)', async () => {
    h = await createHarness({ files: { 'Agents/scribe.md': agentNote() }, config: { settleMs: SETTLE_MS } });
    await h.start();
    await mkdir(path.join(h.vault.root, 'Inbox', 'new folder'), { recursive: true });
    const handle = await open(path.join(h.vault.root, 'Inbox/new folder/long.md'), 'w');
    for (const chunk of ['---\ntags: [agent/message/inbound]\nto: scribe\n---\nStart, ', 'middle, ', 'and THE END.\n']) {
      await handle.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 40)); // the writer's pace
    }
    await handle.close();
    await waitForStatus(h.vault, 'Inbox/new folder/long.md', 'done');
    expect(h.fake.invocations()).toHaveLength(1);
    expect(h.fake.invocations()[0]!.prompt).toContain('Start, middle, and THE END.');
  });
});

describe('a note renamed into place (an atomic write)', () => {
  it('is taken in at once, while a note written in place waits to settle', async () => {
    h = await createHarness({ files: { 'Agents/scribe.md': agentNote(), 'Inbox/.keep': '' }, config: { settleMs: 4_000 } });
    await h.start();
    const note = '---\ntags: [agent/message/inbound]\nto: scribe\n---\nA question.\n';
    // In place, then atomically (temp file + rename, as sync tools and scripts write).
    await writeFile(path.join(h.vault.root, 'Inbox/in-place.md'), note);
    await writeFile(path.join(h.vault.root, 'atomic.tmp'), note);
    await rename(path.join(h.vault.root, 'atomic.tmp'), path.join(h.vault.root, 'Inbox/atomic.md'));

    // Taken in (the log is written at once; on a busy machine each fsynced note write takes seconds).
    await waitFor(() => h.logs('message queued', { note: 'Inbox/atomic.md' }).length > 0, { what: 'the renamed note taken in' });
    // The note written in place is still waiting for its quiet time: not even queued yet.
    expect((await h.vault.fields('Inbox/in-place.md')).status).toBeUndefined();
    await waitForStatus(h.vault, 'Inbox/atomic.md', 'done');
    await waitForStatus(h.vault, 'Inbox/in-place.md', 'done');
    expect(h.fake.invocations()).toHaveLength(2);
  });

  it('and appended to right after (`mv … && echo … >>`): the turn has the whole text, and the appended line stays in the note', async () => {
    // A longer grace than the 10 ms default, so that the append surely lands in it on a busy machine
    // (from the rename seen to the turn's start takes a second or two there). The prompt goes to the
    // process when the grace is over: the fake waits for it that long (the real CLI gives up after 3 s).
    h = await createHarness({
      files: { 'Agents/scribe.md': agentNote(), 'Inbox/.keep': '' },
      config: { wholeGraceMs: 5_000 },
      env: { FAKE_CLAUDE_STDIN_TIMEOUT_MS: '60000' },
    });
    await h.start();
    // The append lands once the turn is under way (its journal record written, its process about to
    // start) and the note already read for it: only the grace's second look can give the turn the line.
    let appended: Promise<void> | undefined;
    Journal.prototype.append = function (this: Journal, record: JournalRecord) {
      if (record.t === 'started' && record.msg === 'Inbox/q.md') appended ??= appendFile(path.join(h.vault.root, 'Inbox/q.md'), 'And the line a script appended.\n');
      return originalAppend.call(this, record);
    };
    await writeFile(path.join(h.vault.root, 'q.tmp'), '---\ntags: [agent/message/inbound]\nto: scribe\n---\nFirst line.\n');
    await rename(path.join(h.vault.root, 'q.tmp'), path.join(h.vault.root, 'Inbox/q.md'));

    await waitForStatus(h.vault, 'Inbox/q.md', 'done');
    await h.daemon.idle();
    expect(appended).toBeDefined();
    expect(h.fake.invocations()).toHaveLength(1);
    expect(h.fake.invocations()[0]!.prompt).toContain('And the line a script appended.');
    expect(await h.vault.body('Inbox/q.md')).toContain('First line.\nAnd the line a script appended.');
  });
});
