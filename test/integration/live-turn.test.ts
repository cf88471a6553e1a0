// A turn you can watch in Obsidian: while it runs, its thread note shows it (the tools so far, how long it
// has run, its last activity); what the user types in that note meanwhile is kept; when the turn ends, its
// record takes the section's place, whatever way it ends. Turns are held running by the fake's gates, and
// time moves only when the test moves the daemon's clock.
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonConfig } from '../../src/config/operator-config.ts';
import { Journal } from '../../src/state/journal.ts';
import { appendSection, renderLiveBlock } from '../../src/threads/live-block.ts';
import { newThreadNote } from '../../src/threads/thread-note.ts';
import { createHarness, linkedPath, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { fixedClock } from '../helpers/stage-kit.ts';
import { waitFor } from '../helpers/wait-for.ts';

const START = '2026-11-21T19:36:00Z';
const SHOWN = 'running turn shown in its thread note';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A daemon whose turns are looked at every 20 ms, on a clock standing at START until the test moves it. */
async function harness(config: Partial<DaemonConfig> = {}, files: Record<string, string> = {}) {
  const clock = fixedClock(START);
  h = await createHarness({ clock, config: { liveTurnIntervalMs: 20, ...config }, files });
  return { h, clock };
}

const showing = (h: Harness, threadPath: string, text: string) =>
  waitFor(async () => (await h.vault.read(threadPath)).includes(text) || undefined, { what: `${threadPath} showing "${text.trim()}"` });

/** What a person does in Obsidian: change the status line of the note. */
async function setStatus(h: Harness, notePath: string, status: string): Promise<void> {
  const raw = await h.vault.read(notePath);
  await h.vault.write(notePath, raw.replace(/^status: .*$/m, `status: ${status}`));
}

describe('a running turn in its thread note', () => {
  it('shows the tools used so far, keeps what the user types meanwhile, and its record takes its place', async () => {
    const { h, clock } = await harness();
    await h.vault.writeAgent('worker', { timeout: '60s' });
    await h.start();
    const msg = await h.vault.writeMessage('look', 'worker', 'Look at the readme [[fake:tool,gate:look]]');
    await showing(h, 'Threads/worker.md', '- Tools so far: Read\n');
    const shown = await h.vault.read('Threads/worker.md');
    expect(shown).toContain('## Turn 1 · running · from user\n');
    expect(shown).toContain('- Started: 19:36:00\n- Running for: under a minute\n');
    expect(shown).toContain('- Cost: known when the turn ends\n');

    // The user types in the thread note while the turn runs: a line above the section, one below it.
    await h.vault.write('Threads/worker.md', shown.replace('Its latest turn is below; earlier turns move to its archive notes, shown above it.\n', 'Its latest turn is below; earlier turns move to its archive notes, shown above it.\nMy note above.\n') + '\nTyped while it ran.\n');
    clock.set('2026-11-21T19:39:10Z');
    await showing(h, 'Threads/worker.md', '- Running for: 3 min\n');
    const refreshed = await h.vault.read('Threads/worker.md');
    expect(refreshed).toContain('Its latest turn is below; earlier turns move to its archive notes, shown above it.\nMy note above.\n');
    expect(refreshed.endsWith('%%\n\nTyped while it ran.\n')).toBe(true);

    await h.fake.openGate('look');
    await waitForStatus(h.vault, msg, 'done');
    const body = await h.vault.body('Threads/worker.md');
    expect(body).not.toContain('live turn');
    expect(body).not.toContain('· running ·');
    expect(body).toContain('Its latest turn is below; earlier turns move to its archive notes, shown above it.\nMy note above.\n');
    // The record where the section was: above what the user typed below it.
    expect(body).toMatch(/\n\n## Turn 1 · 2026-11-21 19:39 · from user\n[\s\S]*\*Tools: Read · \$[\d.]+ · [\d.]+ s\*\n\nTyped while it ran\.\n$/);
    // Nothing else came of these writes: no conflict copy, no second turn, the thread is still the one note.
    expect(await h.vault.list('Threads')).toEqual(['Threads/worker.md']);
    expect(h.fake.invocations()).toHaveLength(1);
    expect(h.logs('sync conflict copy ignored')).toHaveLength(0);
  });

  it("shows in a multi-threaded agent's new thread note too", async () => {
    const { h } = await harness();
    await h.vault.writeAgent('helper', { mode: 'multi-threaded', timeout: '60s' });
    await h.start();
    const msg = await h.vault.writeMessage('ask', 'helper', 'Think about it [[fake:gate:ask]]');
    const thread = linkedPath((await waitForStatus(h.vault, msg, 'running')).thread);
    expect(thread).toMatch(/^Threads\/helper\/2026-11-21 1936 ask\.md$/);
    await showing(h, thread, '- Tools so far: none\n');
    await h.fake.openGate('ask');
    await waitForStatus(h.vault, msg, 'done');
    const body = await h.vault.body(thread);
    expect(body).not.toContain('live turn');
    expect(body.match(/## Turn 1 · /g)).toHaveLength(1);
  });

  it('a turn that ends before the first look never writes the section', async () => {
    const { h } = await harness({ liveTurnIntervalMs: 60_000 });
    await h.vault.writeAgent('worker');
    await h.start();
    const msg = await h.vault.writeMessage('quick', 'worker', 'Answer quickly [[fake:tool]]');
    await waitForStatus(h.vault, msg, 'done');
    expect(h.logs(SHOWN)).toHaveLength(0);
    expect(await h.vault.body('Threads/worker.md')).not.toContain('live turn');
  });
});

describe('however the turn ends, its section does not outlive it', () => {
  it('cancelled by the user', async () => {
    const { h } = await harness();
    await h.vault.writeAgent('worker', { timeout: '60s' });
    await h.start();
    const msg = await h.vault.writeMessage('long', 'worker', 'Take your time [[fake:tool,gate:never]]');
    await showing(h, 'Threads/worker.md', '- Tools so far: Read\n');
    await setStatus(h, msg, 'cancelled');
    await waitFor(async () => (await h.vault.fields(msg)).finished_at, { what: 'the cancelled turn recorded' });
    const body = await h.vault.body('Threads/worker.md');
    expect(body).not.toContain('live turn');
    expect(body).toContain('Cancelled: this message was set to cancelled while its turn ran');
  });

  it('stopped by a shutdown', async () => {
    const { h } = await harness();
    await h.vault.writeAgent('worker', { timeout: '60s' });
    await h.start();
    const msg = await h.vault.writeMessage('long', 'worker', 'Take your time [[fake:tool,gate:never]]');
    await showing(h, 'Threads/worker.md', '- Tools so far: Read\n');
    await h.daemon.close({ graceMs: 100 });
    expect((await h.vault.fields(msg)).status).toBe('error');
    const body = await h.vault.body('Threads/worker.md');
    expect(body).not.toContain('live turn');
    expect(body).toContain('The turn was stopped because Scriptorium shut down.');
  });

  it('failed for a passing reason, to be retried later: the section goes, with no record yet', async () => {
    const { h } = await harness({ retryBaseMs: 60_000 });
    await h.vault.writeAgent('worker', { timeout: '60s' });
    await h.start();
    const msg = await h.vault.writeMessage('busy', 'worker', 'The API is overloaded [[fake:api-529,gate:busy]]');
    // The CLI's own retries show as the last activity.
    await showing(h, 'Threads/worker.md', '; retry 10 of 10\n');
    await h.fake.openGate('busy');
    await waitFor(async () => (await h.vault.fields(msg)).retry_attempt === 1 || undefined, { what: 'the retry scheduled' });
    // The message says so first, then the section is removed from the thread note.
    const body = await waitFor(async () => {
      const text = await h.vault.body('Threads/worker.md');
      return text.includes('live turn') ? undefined : text;
    }, { what: 'the section removed' });
    expect(body).not.toContain('## Turn');
  });

  it('cut off by a crash: the next start removes the section, runs the message again, and leaves an edited one as it is', async () => {
    const thread = newThreadNote('worker', 'single-threaded', new Date(START));
    const stale = renderLiveBlock({ number: 1, from: 'user', messagePath: 'Inbox/cut.md', startedAt: new Date(START), tools: ['Read'], lastActivity: undefined }, new Date(START));
    const edited = appendSection(newThreadNote('other', 'single-threaded', new Date(START)), stale.replace('- Tools so far: Read', '- Tools so far: Read (I was watching)'));
    const { h } = await harness({}, {
      'Agents/worker.md': '---\ntags: [agent/definition]\n---\nYou work.\n',
      'Threads/worker.md': appendSection(thread, stale) + '\nMine.\n',
      'Threads/other.md': edited,
      'Inbox/cut.md': '---\ntags: [agent/message/inbound]\nto: worker\nstatus: running\nstarted_at: 2026-11-21T19:36:00+00:00\nthread: "[[Threads/worker]]"\n---\nCut off.\n',
    });
    await new Journal(h.vault.root).append({ t: 'started', msg: 'Inbox/cut.md', agent: 'worker', thread: 'Threads/worker.md', startedAt: '2026-11-21T19:36:00+00:00', at: '2026-11-21T19:36:00+00:00' });
    await h.start();
    expect((await waitForStatus(h.vault, 'Inbox/cut.md', 'done')).recovered).toBe(true);
    const body = await h.vault.body('Threads/worker.md');
    expect(body).not.toContain('live turn');
    expect(body).toMatch(/shown above it\.\n\nMine\.\n\n## Turn 1 · /);
    expect(await h.vault.read('Threads/other.md')).toBe(edited);
    expect(h.logs('removed the section of a turn cut off while it ran from its thread note').map((l) => l.note)).toEqual(['Threads/worker.md']);
  });
});
