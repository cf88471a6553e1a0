// Behaviours found missing in a review of the daemon: each test is a way a user's vault could go wrong.
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFrontmatter } from '../../src/vault/frontmatter.ts';
import { createHarness, linkedPath, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { argValues, messageNoteOf } from '../helpers/fake-claude-env.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('notes a message must never touch', () => {
  it('a thread: link to an agent definition is refused and the definition is left as it was', async () => {
    h = await createHarness();
    await h.vault.writeAgent('writer', { mode: 'multi-threaded' });
    const victim = await h.vault.writeAgent('victim');
    const before = await h.vault.read(victim);
    await h.start();
    const msg = await h.vault.writeMessage('m', 'writer', 'hello', { thread: '[[Agents/victim]]' });
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(String(failed.error)).toMatch(/not a thread note/);
    expect(await h.vault.read(victim)).toBe(before);
    expect(h.fake.invocations()).toHaveLength(0);
  });

  it('a note of the user\'s at Threads/<agent>.md is not taken over by a single-threaded agent', async () => {
    h = await createHarness();
    await h.vault.writeAgent('solo');
    await h.vault.write('Threads/solo.md', '# My own notes about solo\n');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'solo', 'hello');
    expect(String((await waitForStatus(h.vault, msg, 'error')).error)).toMatch(/not a thread note/);
    expect(await h.vault.read('Threads/solo.md')).toBe('# My own notes about solo\n');
  });
});

describe('messages changed while they wait or run', () => {
  it('a message re-addressed while queued runs as its new agent, never alongside that agent\'s own turn', async () => {
    h = await createHarness();
    await h.vault.writeAgent('a');
    await h.vault.writeAgent('b');
    await h.start();
    // Both held until the test lets them go: the re-addressed message must find both lanes busy.
    const busyA = await h.vault.writeMessage('busy a', 'a', 'Long one for a [[fake:gate:a]]');
    const busyB = await h.vault.writeMessage('busy b', 'b', 'Long one for b [[fake:gate:b]]');
    await waitForStatus(h.vault, busyA, 'running');
    await waitForStatus(h.vault, busyB, 'running');
    const moved = await h.vault.writeMessage('moved', 'a', 'Re-addressed.');
    await waitForStatus(h.vault, moved, 'queued');
    const raw = await h.vault.read(moved);
    await h.vault.write(moved, raw.replace('to: a', 'to: b'));
    // a's turn ends; its lane finds the message now addressed to b and moves it behind b's turn.
    await h.fake.openGate('a');
    await waitFor(() => h!.logs('message queued', { note: moved, agent: 'b' }).length > 0, { what: 'the message queued for b' });
    await h.fake.openGate('b');
    const done = await waitForStatus(h.vault, moved, 'done');
    expect(done.thread).toBe('[[Threads/b]]');
    // b's turns one after the other: the re-addressed message started after b's long turn finished.
    const bThread = parseFrontmatter(await h.vault.read('Threads/b.md')).data;
    expect(bThread.turn_count).toBe(2);
    const bRuns = h.fake.invocations().filter((i) => messageNoteOf(i) === busyB || messageNoteOf(i) === moved);
    expect(bRuns.map(messageNoteOf)).toEqual([busyB, moved]);
    expect(String(done.started_at) >= String((await h.vault.fields(busyB)).finished_at)).toBe(true);
  });

  it('a running message renamed in Obsidian gets done (not a false "stopped" error) at its new name', async () => {
    h = await createHarness();
    await h.vault.writeAgent('w');
    await h.start();
    // Held until the rename is done, so the turn surely ends after it.
    const msg = await h.vault.writeMessage('Untitled', 'w', 'Rename me while I run [[fake:gate:rename]]');
    await waitForStatus(h.vault, msg, 'running');
    await rename(path.join(h.vault.root, msg), path.join(h.vault.root, 'Inbox/A proper title.md'));
    await h.fake.openGate('rename');
    const done = await waitForStatus(h.vault, 'Inbox/A proper title.md', 'done');
    expect(done.error).toBeUndefined();
    expect(h.vault.exists(linkedPath(done.reply))).toBe(true);
  });
});

describe('fan-in groups reused', () => {
  it('a group id used again later calls back again', async () => {
    h = await createHarness();
    await h.vault.writeAgent('orc', { can_message: ['w'] });
    await h.vault.writeAgent('w');
    await h.start();
    const fields = { from: 'orc', reply_to: 'orc', delegation_depth: 1, group: 'research', group_size: 1 };
    const first = await h.vault.writeMessage('first', 'w', 'First round.', fields);
    const firstDone = await waitFor(async () => (await h!.vault.fields(first)).callback_note, { what: 'first callback' });
    const second = await h.vault.writeMessage('second', 'w', 'Second round.', fields);
    const secondCallback = await waitFor(async () => (await h!.vault.fields(second)).callback_note, { what: 'second callback' });
    expect(secondCallback).not.toBe(firstDone);
    expect((await h.vault.fields(linkedPath(secondCallback))).source_message).toEqual(['[[Inbox/second]]']);
  });
});

describe('turns that cannot start, or will not end', () => {
  it('a workspace that does not exist is said so, not "Claude Code was not found"', async () => {
    h = await createHarness();
    await h.vault.writeAgent('w', { workspace: 'Projects/nope' });
    await h.start();
    const msg = await h.vault.writeMessage('m', 'w', 'hello');
    expect(String((await waitForStatus(h.vault, msg, 'error')).error)).toMatch(/workspace: .*Projects\/nope is not a folder \(it does not exist/);
  });

  it('a claude that exits but leaves its output pipe held by a child still ends the turn', async () => {
    h = await createHarness();
    await h.vault.writeAgent('w');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'w', 'Leave a child holding stdout [[fake:success,child:stdout]]');
    const done = await waitForStatus(h.vault, msg, ['done', 'error']);
    expect(done.status).toBe('done');
  });

  it('without allow_shell, the shell tools are denied even when tools asks for the default set', async () => {
    h = await createHarness();
    await h.vault.writeAgent('w', { tools: 'default' });
    await h.start();
    const msg = await h.vault.writeMessage('m', 'w', 'hello');
    await waitForStatus(h.vault, msg, 'done');
    const argv = h.fake.invocations()[0]!.argv;
    expect(argValues(argv, '--disallowedTools')).toContain('Bash');
  });
});
