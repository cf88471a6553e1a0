import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentNote } from '../helpers/temp-vault.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';

let h: Harness;
afterEach(() => h?.close());

describe('a note still being written', () => {
  it('is read once the editor has finished, not half-done', async () => {
    h = await createHarness({ files: { 'Agents/scribe.md': agentNote(), 'Inbox/.keep': '' }, config: { settleMs: 300 } });
    await h.start();

    // An editor writing in place, in pieces, with short pauses between them (as a slow save or a sync
    // tool streaming a file does).
    const chunks = [
      '---\ntags: [agent/message/inbound]\nto: scribe\n---\n',
      'First part of the question, ',
      'second part, ',
      'and the END OF THE MESSAGE.\n',
    ];
    const handle = await open(path.join(h.vault.root, 'Inbox/long.md'), 'w');
    for (const chunk of chunks) {
      await handle.write(chunk);
      await handle.sync();
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
    h = await createHarness({ files: { 'Agents/scribe.md': agentNote() }, config: { settleMs: 300 } });
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

    await waitForStatus(h.vault, 'Inbox/atomic.md', 'done');
    // The note written in place is still waiting for its quiet time: not even queued yet.
    expect((await h.vault.fields('Inbox/in-place.md')).status).toBeUndefined();
    await waitForStatus(h.vault, 'Inbox/in-place.md', 'done', 15_000);
    expect(h.fake.invocations()).toHaveLength(2);
  });
});
