// After a crash: the journal says how far each message got, and a restart brings each to one outcome.
// The crash is staged by leaving the vault and the journal exactly as a kill -9 at that instant would.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, type ResultRecord } from '../../src/state/journal.ts';
import { parseFrontmatter } from '../../src/vault/frontmatter.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { createHarness, linkedPath, TEST_CONFIG, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { messageNoteOf } from '../helpers/fake-claude-env.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const running = (to: string, body: string) =>
  `---\ntags: [agent/message/inbound]\nto: ${to}\nstatus: running\nqueued_at: 2026-06-01T09:59:00+00:00\nstarted_at: 2026-06-01T10:00:00+00:00\nthread: "[[Threads/${to}]]"\n---\n${body}\n`;

async function outbox(h: Harness): Promise<string[]> {
  return (await readdir(path.join(h.vault.root, 'Outbox')).catch(() => [] as string[])).filter((n) => n.endsWith('.md'));
}

describe('recovery from the journal at start', () => {
  // Its note says `running`, or still `ready`: a message its lane took at once, cut off before the
  // `running` write (which goes beside the turn's start) landed.
  it.each([
    ['running', running('w', 'Cut off.')],
    ['ready', '---\ntags: [agent/message/inbound]\nto: w\n---\nCut off.\n'],
  ])('a message cut off mid-turn (note %s) runs again once, marked recovered, with one reply', async (_status, text) => {
    h = await createHarness({ files: { 'Agents/w.md': '---\ntags: [agent/definition]\n---\nYou work.\n', 'Inbox/cut.md': text } });
    await new Journal(h.vault.root).append({ t: 'started', msg: 'Inbox/cut.md', agent: 'w', thread: 'Threads/w.md', startedAt: '2026-06-01T10:00:00+00:00', at: '2026-06-01T10:00:00+00:00' });
    await h.start();
    const done = await waitForStatus(h.vault, 'Inbox/cut.md', 'done');
    expect(done.recovered).toBe(true);
    expect(h.fake.invocations().map(messageNoteOf)).toEqual(['Inbox/cut.md']);
    expect(await outbox(h)).toHaveLength(1);
  });

  it('a turn that ran but whose notes were not written is finished from the journal, without running again', async () => {
    h = await createHarness({ files: { 'Agents/w.md': '---\ntags: [agent/definition]\n---\nYou work.\n', 'Inbox/ran.md': running('w', 'Ran, then crash.') } });
    const record: ResultRecord = {
      t: 'result', msg: 'Inbox/ran.md', agent: 'w', mode: 'single-threaded', thread: 'Threads/w.md', reply: 'Outbox/2026-06-01 100005 w - ran.md',
      startedAt: '2026-06-01T10:00:00+00:00', at: '2026-06-01T10:00:05+00:00', ok: true, text: 'The answer from before the crash.',
      session: '3ad0f118-5a50-4b42-8ec8-d78b6e6b31ea', costUsd: 0.01, usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheCreationTokens: 0 },
      tools: [], durationMs: 5000, notices: [], from: 'user', to: 'user', body: 'Ran, then crash.', origin: undefined,
      threadBefore: { turnCount: 0, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 }, session: undefined },
      errorKind: undefined,
    };
    const journal = new Journal(h.vault.root);
    await journal.append({ t: 'started', msg: 'Inbox/ran.md', agent: 'w', thread: 'Threads/w.md', startedAt: record.startedAt, at: record.startedAt });
    await journal.append(record);
    await h.start();
    const done = await waitForStatus(h.vault, 'Inbox/ran.md', 'done');
    expect(linkedPath(done.reply)).toBe(record.reply);
    expect((await h.vault.body(record.reply)).trim()).toBe('The answer from before the crash.');
    const thread = parseFrontmatter(await h.vault.read('Threads/w.md'));
    expect(thread.data).toMatchObject({ turn_count: 1, session: record.session });
    expect(h.fake.invocations()).toHaveLength(0);

    // A crash before `finished` was journaled: the next start replays the same record, and writes nothing twice.
    await h.daemon.close();
    await new Journal(h.vault.root).append(record);
    const again = new Daemon({ vault: h.vault.root, config: TEST_CONFIG, logger: createMemoryLogger() });
    await again.start();
    await again.idle();
    await again.close();
    expect(await outbox(h)).toEqual([path.basename(record.reply)]);
    expect(parseFrontmatter(await h.vault.read('Threads/w.md')).body.match(/## Turn /g)).toHaveLength(1);
    expect(parseFrontmatter(await h.vault.read('Threads/w.md')).data.turn_count).toBe(1);
  });

  it('a message cut off three times is left to the user with an error, not run again', async () => {
    h = await createHarness({ files: { 'Agents/w.md': '---\ntags: [agent/definition]\n---\nYou work.\n', 'Inbox/poison.md': running('w', 'Kills the daemon.') } });
    const journal = new Journal(h.vault.root);
    for (let i = 0; i < 3; i++) {
      await journal.append({ t: 'started', msg: 'Inbox/poison.md', agent: 'w', thread: 'Threads/w.md', startedAt: '2026-06-01T10:00:00+00:00', at: '2026-06-01T10:00:00+00:00' });
    }
    await h.start();
    const failed = await waitForStatus(h.vault, 'Inbox/poison.md', 'error');
    expect(String(failed.error)).toMatch(/stopped 3 times/);
    expect(h.fake.invocations()).toHaveLength(0);
  });

  it('a note found running with nothing in the journal is still left to the user', async () => {
    h = await createHarness({ files: { 'Agents/w.md': '---\ntags: [agent/definition]\n---\nYou work.\n', 'Inbox/odd.md': running('w', 'Copied from elsewhere.') } });
    await h.start();
    expect(String((await waitForStatus(h.vault, 'Inbox/odd.md', 'error')).error)).toMatch(/Set status back to ready/);
  });
});
