// A message typed in Obsidian runs whole: a note written in place is taken once it has been quiet for
// quiet_for (Obsidian saves about every 2 s while you type), a note renamed into place at once; and a
// note changed after its turn read it says so, on the note and in `explain`. The quiet time is the
// test's to end (manual timers): nothing here depends on how fast the machine is.
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { explainCommand } from '../../src/cli/explain.ts';
import type { Explanation } from '../../src/explain/types.ts';
import { API_FILE, type ApiInfo } from '../../src/http/daemon-api.ts';
import { Journal } from '../../src/state/journal.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { manualTimers, type ManualTimers } from '../helpers/manual-timers.ts';
import { agentNote, inboundNote } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const QUIET_MS = 5_000;
const WAITS = 'message written in place; taken once quiet';
const CHANGED = 'message changed after its turn read it; the change has not run';

let h: Harness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
  h = undefined;
});

async function start(timers: ManualTimers, config: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
  h = await createHarness({ files: { 'Agents/scribe.md': agentNote(), 'Inbox/.keep': '' }, ...config, config: { quietForMs: QUIET_MS, ...config.config }, timers });
  await h.start();
  return h;
}

/** The note's quiet time passes (again and again, so a write whose event comes late is past its own too) until `done` holds. */
async function quietUntil(timers: ManualTimers, done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  await waitFor(
    async () => {
      timers.advance(QUIET_MS);
      return await done();
    },
    { what },
  );
}

/** A note renamed into place, as `scriptorium send`, a script or a sync tool writes it. */
async function renameIn(root: string, vaultPath: string, text: string): Promise<void> {
  const tmp = path.join(root, `${path.basename(vaultPath)}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path.join(root, vaultPath));
}

async function explain(root: string, note: string): Promise<Explanation> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await explainCommand([note, '--vault', root, '--json', '--config', path.join(root, '.scriptorium', 'no-config.yaml')])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
  return JSON.parse(stdout) as Explanation;
}

const waitLines = (h: Harness, note: string) => h.logs(WAITS, { note }).length;

describe('a message written in place', () => {
  it('is not taken before it has been quiet: text appended before quiet_for ends is in the turn', async () => {
    const timers = manualTimers();
    const h = await start(timers);
    const note = 'Inbox/typed.md';
    // Typed in Obsidian with no status: its first save has half the message...
    await h.vault.write(note, inboundNote('scribe', 'First half of the question,'));
    await waitFor(() => waitLines(h, note) > 0, { what: 'the first save looked at' });
    // ...and the next save, two seconds later, the rest.
    const before = waitLines(h, note);
    await appendFile(path.join(h.vault.root, note), 'and the SECOND HALF.\n');
    await waitFor(() => waitLines(h, note) > before, { what: 'the appended save looked at' });
    // Time has not moved: nothing was taken, nothing written on the note.
    expect(h.fake.invocations()).toHaveLength(0);
    expect((await h.vault.fields(note)).status).toBeUndefined();

    await quietUntil(timers, () => h.fake.invocations().length > 0, 'the turn, once quiet');
    await waitForStatus(h.vault, note, 'done');
    expect(h.fake.invocations()).toHaveLength(1);
    expect(h.fake.invocations()[0]!.prompt).toContain('First half of the question,\nand the SECOND HALF.');
    expect((await h.vault.fields(note)).changed_after_run).toBeUndefined();
  });

  it('saved a moment before the daemon starts waits out the rest of quiet_for', async () => {
    const timers = manualTimers();
    // Longer than any start could take, however busy the machine: the note is surely not quiet yet.
    h = await createHarness({ files: { 'Agents/scribe.md': agentNote(), 'Inbox/early.md': inboundNote('scribe', 'Typed just before the start.') }, config: { quietForMs: 600_000 }, timers });
    await h.start();
    await waitFor(() => waitLines(h!, 'Inbox/early.md') > 0, { what: 'the note found at start, waiting' });
    expect(h.fake.invocations()).toHaveLength(0);
    timers.advance(600_000);
    await waitForStatus(h.vault, 'Inbox/early.md', 'done');
  });

  it('cut off by a crash a moment ago, it runs again at once: its fresh mtime is Scriptorium\'s own write, no one typing', async () => {
    const timers = manualTimers();
    const cut = '---\ntags: [agent/message/inbound]\nto: scribe\nstatus: running\nstarted_at: 2026-06-01T10:00:00+00:00\n---\nCut off.\n';
    h = await createHarness({ files: { 'Agents/scribe.md': agentNote(), 'Inbox/cut.md': cut }, config: { quietForMs: 600_000 }, timers });
    await new Journal(h.vault.root).append({ t: 'started', msg: 'Inbox/cut.md', agent: 'scribe', thread: 'Threads/scribe.md', startedAt: '2026-06-01T10:00:00+00:00', at: '2026-06-01T10:00:00+00:00' });
    await h.start();
    // Time never moves: only a message that does not wait for quiet can run.
    expect((await waitForStatus(h.vault, 'Inbox/cut.md', 'done')).recovered).toBe(true);
  });

  it('edited while it waits in its lane: its turn waits until the editing is over, then runs the edit', async () => {
    const timers = manualTimers();
    const h = await start(timers);
    await renameIn(h.vault.root, 'Inbox/first.md', inboundNote('scribe', 'Hold the lane [[fake:gate:first]]'));
    await waitFor(() => h.fake.invocations().length === 1, { what: 'the first turn running' });
    await renameIn(h.vault.root, 'Inbox/second.md', inboundNote('scribe', 'Second question.'));
    await waitForStatus(h.vault, 'Inbox/second.md', 'queued');
    await appendFile(path.join(h.vault.root, 'Inbox/second.md'), 'AN EDIT WHILE IT WAITED.\n');
    await waitFor(() => h.logs('message changed while it waits in its lane; its turn reads it then', { note: 'Inbox/second.md' }).length > 0, { what: 'the edit seen' });
    await h.fake.openGate('first');
    await waitFor(() => h.logs('message written in place while it waited; its turn waits until it is quiet', { note: 'Inbox/second.md' }).length > 0, { what: 'the second turn holding' });
    expect(h.fake.invocations()).toHaveLength(1);
    await quietUntil(timers, () => h.fake.invocations().length === 2, 'the second turn, once quiet');
    await waitForStatus(h.vault, 'Inbox/second.md', 'done');
    expect(h.fake.invocations()[1]!.prompt).toContain('Second question.\nAN EDIT WHILE IT WAITED.');
  });
});

describe('a message renamed into place', () => {
  it('runs at once, with the short grace, however long quiet_for is', async () => {
    const timers = manualTimers();
    const h = await start(timers);
    await renameIn(h.vault.root, 'Inbox/sent.md', inboundNote('scribe', 'Sent whole.'));
    // Time never moves here: only the instant path can run it.
    await waitForStatus(h.vault, 'Inbox/sent.md', 'done');
    expect(h.logs(WAITS, { note: 'Inbox/sent.md' })).toHaveLength(0);
    expect(h.fake.invocations()[0]!.prompt).toContain('Sent whole.');
  });

  it('with polling, a message posted over the HTTP API runs at once, while one written in place waits', async () => {
    const timers = manualTimers();
    const h = await start(timers, { config: { usePolling: true, api: { port: 0, token: 'test-token-0123456789abcdef' } } });
    await h.vault.write('Inbox/typed.md', inboundNote('scribe', 'Typed in place.'));
    const { url } = JSON.parse(await readFile(path.join(h.vault.root, API_FILE), 'utf8')) as ApiInfo;
    const posted = await request(`${url}/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token-0123456789abcdef', 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'scribe', text: 'Posted whole.' }),
    });
    expect(posted.statusCode).toBe(201);
    const { path: postedNote } = (await posted.body.json()) as { path: string };
    await waitForStatus(h.vault, postedNote, 'done');
    await waitFor(() => waitLines(h, 'Inbox/typed.md') > 0, { what: 'the note written in place, waiting' });
    expect((await h.vault.fields('Inbox/typed.md')).status).toBeUndefined();
    await quietUntil(timers, async () => (await h.vault.fields('Inbox/typed.md')).status === 'done', 'the typed note, once quiet');
  });
});

describe('a message changed after its turn read it', () => {
  it('while its turn runs: changed_after_run is written once, stays when the turn ends, and explain says it', async () => {
    const timers = manualTimers();
    const h = await start(timers);
    const note = 'Inbox/asked.md';
    await renameIn(h.vault.root, note, inboundNote('scribe', 'A question [[fake:gate:asked]]'));
    await waitForStatus(h.vault, note, 'running');
    await waitFor(() => h.fake.invocations().length === 1, { what: 'the turn has its prompt' });
    // More text, typed after the turn took the note.
    await appendFile(path.join(h.vault.root, note), 'ONE MORE THING.\n');
    const fields = await waitFor(async () => {
      const f = await h.vault.fields(note);
      return typeof f.changed_after_run === 'string' ? f : undefined;
    }, { what: 'changed_after_run on the note' });
    expect(fields.status).toBe('running');
    expect(fields.changed_after_run).toMatch(/this note changed after its turn read it \(at .+\), so the turn ran the earlier text and the change has not run\. Set status: ready to run the note as it is now\.$/);
    await h.fake.openGate('asked');
    const done = await waitForStatus(h.vault, note, 'done');
    await h.daemon.idle();
    expect(done.changed_after_run).toBe(fields.changed_after_run);
    expect(await h.vault.body(note)).toContain('ONE MORE THING.');
    expect(h.logs(CHANGED, { note })).toHaveLength(1);
    expect(h.fake.invocations()).toHaveLength(1);

    const explained = await explain(h.vault.root, note);
    expect(explained.verdict).toMatch(/^done at .+; changed after its turn read it$/);
    expect(explained.reasons[0]).toMatch(/^The note changed after its turn read it: the turn ran the text as it was then, and the change has not run/);
    expect(explained.facts.changed_after_run).toBe(fields.changed_after_run);
    expect(explained.next).toBe('Set status: ready to run the note as it is now.');
  });

  it('after it is done: the note says so; status: ready then runs it as it is now and clears the field', async () => {
    const timers = manualTimers();
    const h = await start(timers);
    const note = 'Inbox/done.md';
    await renameIn(h.vault.root, note, inboundNote('scribe', 'The first text.'));
    await waitForStatus(h.vault, note, 'done');
    await h.daemon.idle();
    await appendFile(path.join(h.vault.root, note), 'ADDED AFTER THE REPLY.\n');
    await waitFor(async () => typeof (await h.vault.fields(note)).changed_after_run === 'string', { what: 'changed_after_run on the note' });
    expect((await h.vault.fields(note)).status).toBe('done');

    // The documented way to run it again: status back to ready (a write in place, so once quiet).
    await h.vault.write(note, (await h.vault.read(note)).replace(/^status: done$/m, 'status: ready'));
    await quietUntil(timers, () => h.fake.invocations().length === 2, 'the second run');
    const again = await waitForStatus(h.vault, note, 'done');
    expect(h.fake.invocations()[1]!.prompt).toContain('The first text.\nADDED AFTER THE REPLY.');
    expect(again.changed_after_run).toBeUndefined();
    await h.daemon.idle();
    expect(h.logs(CHANGED, { note })).toHaveLength(1);
  });

  it('a change of its status alone, to run it again, is no change', async () => {
    const timers = manualTimers();
    const h = await start(timers);
    const note = 'Inbox/rerun.md';
    await renameIn(h.vault.root, note, inboundNote('scribe', 'Run me twice.'));
    await waitForStatus(h.vault, note, 'done');
    await h.daemon.idle();
    await h.vault.write(note, (await h.vault.read(note)).replace(/^status: done$/m, 'status: ready'));
    await quietUntil(timers, () => h.fake.invocations().length === 2, 'the second run');
    const again = await waitForStatus(h.vault, note, 'done');
    await h.daemon.idle();
    expect(again.changed_after_run).toBeUndefined();
    expect(h.logs(CHANGED)).toHaveLength(0);
  });
});
