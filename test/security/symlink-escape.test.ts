// Attack: a symbolic link inside the vault as a way out of it. `workspace: ws-link` (a link to a folder
// outside) once passed the policy and the turn ran there; a linked `Outbox/` or `Threads/` would have had
// Scriptorium write notes outside; a `thread:` link through a linked folder would have had a turn append
// to a note outside. Every check and every write must go by the real path.
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createDelegateServer } from '../../src/mcp/delegate-server.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { NoteStore } from '../../src/vault/note-store.ts';
import { createHarness, linkedPath, TEST_CONFIG, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { useFakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, note } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { connectClient } from '../helpers/mcp-client.ts';

let h: Harness | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real folder outside any vault, removed after the test. */
async function outsideFolder(): Promise<string> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'scriptorium-outside-')));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function definitionError(harness: Harness, definition: string): Promise<string> {
  const fields = await waitFor(async () => {
    const data = await harness.vault.fields(definition);
    return data.error ? data : null;
  });
  return String(fields.error);
}

describe('a workspace reached through a symbolic link', () => {
  it('is refused by the policy when the link leads outside the vault, naming workspace and the real path', async () => {
    const outside = await outsideFolder();
    h = await createHarness();
    await symlink(outside, path.join(h.vault.root, 'ws-link'));
    await h.start();
    const definition = await h.vault.writeAgent('escaper', { workspace: 'ws-link' });
    const error = await definitionError(h, definition);
    expect(error).toContain('workspace:');
    expect(error).toContain(`really ${outside}`);
    expect(error).toContain('is outside the vault');
    const msg = await h.vault.writeMessage('m', 'escaper', 'write a file');
    await waitForStatus(h.vault, msg, 'error');
    expect(h.fake.invocations()).toHaveLength(0);
    expect(await readdir(outside)).toEqual([]);
  });

  it('is accepted when the link leads inside the vault, and the turn runs in the real folder', async () => {
    h = await createHarness({ files: { 'projects/real/readme.md': 'a plain note\n' } });
    await symlink(path.join(h.vault.root, 'projects', 'real'), path.join(h.vault.root, 'ws-link'));
    const definition = await h.vault.writeAgent('insider', { workspace: 'ws-link' });
    await h.start();
    const msg = await h.vault.writeMessage('m', 'insider', 'hello');
    await waitForStatus(h.vault, msg, 'done');
    expect((await h.vault.fields(definition)).error).toBeUndefined();
    const [turn] = h.fake.invocations();
    expect(turn!.cwd).toBe(path.join(await realpath(h.vault.root), 'projects', 'real'));
  });

  it('is checked again when a turn starts: a folder swapped for a link to outside after the definition was read is refused', async () => {
    const outside = await outsideFolder();
    h = await createHarness({ files: { 'ws/readme.md': 'a plain note\n' } });
    await h.start();
    const definition = await h.vault.writeAgent('swapper', { workspace: 'ws' });
    await waitFor(() => h!.logs('agent definition loaded', { note: definition }).length > 0);
    await rm(path.join(h.vault.root, 'ws'), { recursive: true });
    await symlink(outside, path.join(h.vault.root, 'ws'));
    const msg = await h.vault.writeMessage('m', 'swapper', 'hello');
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(String(failed.error)).toContain('workspace:');
    expect(String(failed.error)).toContain(outside);
    expect(h.fake.invocations()).toHaveLength(0);
  });

  it('that does not exist fails the message with a clear error, not a failed spawn', async () => {
    h = await createHarness();
    await h.vault.writeAgent('homeless', { workspace: 'not-there' });
    await h.start();
    const msg = await h.vault.writeMessage('m', 'homeless', 'hello');
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(String(failed.error)).toContain('Agents/homeless.md: workspace:');
    expect(String(failed.error)).toContain('is not a folder');
  });
});

describe('a thread: link through a linked folder', () => {
  it('to a note outside the vault is refused, and the note outside is left as it was', async () => {
    const outside = await outsideFolder();
    const planted = note({ tags: ['agent/thread'], agent: 'multi' }, 'outside');
    await writeFile(path.join(outside, 'victim.md'), planted);
    h = await createHarness();
    await symlink(outside, path.join(h.vault.root, 'Elsewhere'));
    await h.vault.writeAgent('multi', { mode: 'multi-threaded' });
    await h.start();
    const msg = await h.vault.writeMessage('m', 'multi', 'continue', { thread: '[[Elsewhere/victim]]' });
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(String(failed.error)).toContain('thread: "[[Elsewhere/victim]]" leads outside the vault');
    expect(h.fake.invocations()).toHaveLength(0);
    expect(await readdir(outside)).toEqual(['victim.md']);
    expect(await readFile(path.join(outside, 'victim.md'), 'utf8')).toBe(planted);
  });
});

describe('a note folder linked outside the vault', () => {
  it('Outbox/: the reply is not written outside, and the message ends in error saying why', async () => {
    const outside = await outsideFolder();
    h = await createHarness();
    await symlink(outside, path.join(h.vault.root, 'Outbox'));
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'helper', 'hello');
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(String(failed.error)).toContain('refusing Outbox/');
    expect(String(failed.error)).toContain('outside the vault');
    expect(h.logs('notes could not be written; the message ends in error', { note: msg })).toHaveLength(1);
    expect(await readdir(outside)).toEqual([]);
  });

  it('Threads/: no thread note is written outside; the message ends in error with a failure note in the vault', async () => {
    const outside = await outsideFolder();
    h = await createHarness();
    await symlink(outside, path.join(h.vault.root, 'Threads'));
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'helper', 'hello');
    const failed = await waitForStatus(h.vault, msg, 'error');
    expect(String(failed.error)).toContain('refusing Threads/helper.md');
    expect(h.vault.exists(linkedPath(failed.reply))).toBe(true);
    expect(h.fake.invocations()).toHaveLength(0);
    expect(await readdir(outside)).toEqual([]);
  });

  it('Inbox/: the delegate tool refuses to write the message outside', async () => {
    const outside = await outsideFolder();
    const vault = await createTempVault();
    cleanups.push(() => vault.cleanup());
    await symlink(outside, path.join(vault.root, 'Inbox'));
    const server = createDelegateServer(async () => new NoteStore(vault.root), { agent: 'boss', depth: 0, may: [{ name: 'worker' }] }, { now: () => new Date() });
    const client = await connectClient(server);
    cleanups.push(() => server.close(), () => client.close());
    const result = (await client.callTool({ name: 'delegate', arguments: { to: 'worker', message: 'do it' } })) as { isError?: boolean; content: Array<{ text?: string }> };
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain('outside the vault');
    expect(await readdir(outside)).toEqual([]);
  });

  it('.scriptorium/: no temp file and no folder is made outside', async () => {
    const outside = await outsideFolder();
    const vault = await createTempVault();
    cleanups.push(() => vault.cleanup());
    await symlink(outside, path.join(vault.root, '.scriptorium'));
    const store = new NoteStore(vault.root);
    await expect(store.write('Notes/a.md', 'text\n')).rejects.toThrow(/refusing \.scriptorium\/tmp\/.*outside the vault/);
    await expect(store.removeStaleTemp()).rejects.toThrow(/outside the vault/);
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('the vault folder itself given as a symbolic link', () => {
  it('works: messages run, and replies land in the vault', async () => {
    const fake = await useFakeClaude();
    cleanups.push(() => fake.restore());
    const vault = await createTempVault();
    cleanups.push(() => vault.cleanup());
    const links = await outsideFolder();
    const linkedRoot = path.join(links, 'my-vault');
    await symlink(vault.root, linkedRoot);
    await mkdir(path.join(vault.root, 'Inbox'), { recursive: true });
    const daemon = new Daemon({ vault: linkedRoot, config: TEST_CONFIG, logger: createMemoryLogger() });
    cleanups.push(() => daemon.close({ graceMs: 1_000 }));
    await vault.writeAgent('helper');
    await daemon.start();
    await daemon.watching();
    expect(daemon.root).toBe(await realpath(vault.root));
    const msg = await vault.writeMessage('m', 'helper', 'hello');
    const done = await waitForStatus(vault, msg, 'done');
    expect(vault.exists(linkedPath(done.reply))).toBe(true);
    const [turn] = fake.invocations();
    expect(turn!.cwd).toBe(await realpath(vault.root));
    // The halt note is protected under both names of the vault.
    for (const root of [linkedRoot, await realpath(vault.root)]) expect(turn!.argv).toContain(`--disallowedTools=Edit(/${root}/HALT.md)`);
  });
});
