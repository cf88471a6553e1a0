import { open } from 'node:fs/promises';
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
