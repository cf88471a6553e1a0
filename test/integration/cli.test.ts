// The built CLI (bin/scriptorium.js → dist/), spawned as a user would run it, against the fake `claude`.
// The CLI is built once per run, outside the repository's dist/ (test/helpers/built-cli.ts).
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli as runCliProcess, spawnCli as spawnCliProcess, stopCli, type Ran, type Running } from '../helpers/cli-process.ts';
import { parseFrontmatter } from '../../src/vault/frontmatter.ts';
import { FAKE_CLAUDE, openGate, readInvocations } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { PATIENCE_MS, waitFor } from '../helpers/wait-for.ts';

const BIN = inject('cliBin');

let work = '';
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-cli-'));
  const config = path.join(work, 'config.yaml');
  // Long enough for a held turn to finish after the test lets it go, on any machine.
  await writeFile(config, 'shutdown_grace: 2m\n');
  env = {
    ...process.env,
    // The operator config of this machine must not leak into the test.
    SCRIPTORIUM_CONFIG: config,
    FAKE_CLAUDE_STATE: path.join(work, 'fake-state'),
    FAKE_CLAUDE_LOG: path.join(work, 'fake-log.jsonl'),
  };
  delete env.SCRIPTORIUM_VAULT;
  delete env.FAKE_CLAUDE_MODE;
  delete env.FAKE_CLAUDE_REPLY;
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 10 });
});

const spawnCli = (args: string[], options: { cwd?: string } = {}): Running => spawnCliProcess(BIN, args, { cwd: options.cwd ?? work, env });
const runCli = (args: string[]): Promise<Ran> => runCliProcess(BIN, args, { cwd: work, env });

/** JSON log lines a `start` process wrote on stderr (not a terminal, so JSON). */
function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('scriptorium init', () => {
  it('creates a new vault with the folders, the templates and an example agent', async () => {
    const dir = path.join(work, 'new-vault');
    const ran = await runCli(['init', dir]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(`Created a vault at ${dir}`);
    for (const folder of ['Agents', 'Inbox', 'Outbox', 'Threads']) expect(statSync(path.join(dir, folder)).isDirectory()).toBe(true);
    for (const template of ['Templates/Scriptorium/Scriptorium Agent.md', 'Templates/Scriptorium/Scriptorium Message.md']) {
      expect(existsSync(path.join(dir, template)), template).toBe(true);
    }
    const agent = parseFrontmatter(await readFile(path.join(dir, 'Agents', 'assistant.md'), 'utf8'));
    expect(agent.data.tags).toEqual(['agent/definition']);
    expect(agent.body.trim()).not.toBe('');
    const message = parseFrontmatter(await readFile(path.join(dir, 'Templates/Scriptorium/Scriptorium Message.md'), 'utf8'));
    expect(message.data.tags).toEqual(['agent/message/inbound']);
    expect(message.data.status).toBe('draft');
  });

  it('adds to an existing Obsidian vault: templates in its templates folder, no existing file touched', async () => {
    const vault = await createTempVault({
      '.obsidian/templates.json': JSON.stringify({ folder: 'Meta/Templates' }),
      '.obsidian/app.json': '{}',
      'Notes/Rome.md': '---\ntags: [travel]\n---\nThe Forum, the Pantheon.\n',
      'Meta/Templates/Daily.md': '# {{date}}\n',
      'Agents/assistant.md': '---\ntags: [agent/definition]\n---\nMy own assistant, not the example.\n',
      'Inbox/.keep.md': '',
    });
    try {
      const before = await snapshot(vault);
      // Old mtimes, so a rewrite with the same bytes would still show.
      const old = new Date('2024-01-02T03:04:05Z');
      for (const file of before.keys()) await utimes(path.join(vault.root, file), old, old);
      const stamped = await snapshot(vault);

      const ran = await runCli(['init', vault.root]);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout).toContain(`Added Scriptorium to ${vault.root}`);

      const after = await snapshot(vault);
      for (const [file, was] of stamped) expect(after.get(file), file).toEqual(was);
      const added = [...after.keys()].filter((f) => !stamped.has(f)).sort();
      expect(added).toEqual(['Meta/Templates/Scriptorium/Scriptorium Agent.md', 'Meta/Templates/Scriptorium/Scriptorium Message.md']);
      expect(vault.exists('Templates')).toBe(false);
      for (const folder of ['Outbox', 'Threads']) expect(vault.exists(folder)).toBe(true);
    } finally {
      await vault.cleanup();
    }
  });
});

/** Every file's bytes and mtime, dot-folders included. */
async function snapshot(vault: TempVault): Promise<Map<string, { text: string; mtimeMs: number }>> {
  const files = new Map<string, { text: string; mtimeMs: number }>();
  for (const file of await vault.listAll({ withDotFolders: true })) {
    if (file.startsWith('.scriptorium/')) continue;
    files.set(file, { text: await vault.read(file), mtimeMs: (await stat(path.join(vault.root, file))).mtimeMs });
  }
  return files;
}

describe('scriptorium start, send and status', () => {
  let vault = '';
  let daemon: Running | undefined;

  beforeAll(async () => {
    vault = path.join(work, 'vault');
    expect((await runCli(['init', vault])).code).toBe(0);
    daemon = spawnCli(['start', vault, '--claude', FAKE_CLAUDE]);
    await waitFor(() => logLines(daemon!.stderr()).some((l) => l.msg === 'watching vault'), {
      what: 'the daemon watching the vault',
    }).catch((error: Error) => {
      throw new Error(`${error.message}\nstderr of start:\n${daemon!.stderr()}`);
    });
  });

  afterAll(async () => {
    // Stopped the way a user stops it, so no turn of it goes on writing into the folder removed next.
    if (daemon) await stopCli(daemon);
  });

  it('send --wait prints the reply on stdout and exits 0', async () => {
    const ran = await runCli(['send', 'assistant', 'What is in this vault?', '--vault', vault, '--wait']);
    expect(ran.code, ran.stderr).toBe(0);
    const [notePath, ...reply] = ran.stdout.trim().split('\n');
    expect(notePath).toMatch(/^Inbox\/.+assistant - What is in this vault\.md$/);
    expect(reply.join('\n')).toMatch(/^fake reply to: <scriptorium-context>\n[\s\S]*\(turn 1 of session [0-9a-f-]{36}\)$/);
    const fields = parseFrontmatter(await readFile(path.join(vault, notePath!), 'utf8')).data;
    expect(fields.status).toBe('done');
  });

  it('send --wait prints a failed turn\'s error on stderr and exits 1', async () => {
    const ran = await runCli(['send', 'assistant', 'Please fail [[fake:fail]]', '--vault', vault, '--wait']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^error: Claude Code exited with code 1 without a result: boom\.$/m);
    expect(ran.stdout).not.toContain('fake reply');
  });

  it('status lists the agents and the recent turns with their cost; --json parses', async () => {
    const human = await waitFor(
      async () => {
        const ran = await runCli(['status', vault]);
        // The status file is rewritten a moment after each change: wait for the agent to show idle again.
        return ran.code === 0 && /\$0\.0001/.test(ran.stdout) && / error /.test(ran.stdout) && /^assistant\s+idle/m.test(ran.stdout) ? ran : null;
      },
      { intervalMs: 200, what: 'status showing both turns and the agent idle' },
    );
    expect(human.stdout).toMatch(/^Scriptorium is running on .* \(pid \d+/);
    expect(human.stdout).toMatch(/^assistant\s+idle\s+single-threaded\s+A general helper/m);
    expect(human.stdout).toMatch(/Recent turns \(cost of these 2: \$\d+\.\d{4}\)/);
    expect(human.stdout).toMatch(/assistant\s+done\s+\$0\.0001/);

    const ran = await runCli(['status', vault, '--json']);
    expect(ran.code).toBe(0);
    const json = JSON.parse(ran.stdout) as {
      running: boolean;
      pid: number;
      agents: Array<{ name: string; state: string }>;
      turns: Array<{ agent: string; ok: boolean; costUsd: number; error?: string }>;
    };
    expect(json.running).toBe(true);
    expect(json.pid).toBe(daemon!.child.pid);
    expect(json.agents.map((a) => a.name)).toEqual(['assistant']);
    expect(json.turns).toHaveLength(2);
    expect(json.turns[0]).toMatchObject({ agent: 'assistant', ok: true });
    expect(json.turns[0]!.costUsd).toBeGreaterThan(0);
    expect(json.turns[1]).toMatchObject({ agent: 'assistant', ok: false });
    expect(json.turns[1]!.error).toMatch(/exited with code 1/);
  });

  it('a second start on the same vault refuses, naming the running daemon', async () => {
    const ran = await runCli(['start', vault, '--claude', FAKE_CLAUDE]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`another Scriptorium daemon (pid ${daemon!.child.pid}) is already running on ${vault}`);
  });

  // SIGINT, SIGTERM and SIGHUP share one handler (src/cli/start.ts); SIGHUP, a closed terminal, is the one
  // that used to kill the daemon outright and leave the turn running unwatched.
  it('SIGHUP (like Ctrl-C) lets the running turn finish within the grace, then start exits 0 and removes the lock', async () => {
    const lock = path.join(vault, '.scriptorium', 'daemon.pid');
    expect(existsSync(lock)).toBe(true);
    // Held until the daemon has said it waits for it: a turn that ended before the signal would show nothing.
    const sent = await runCli(['send', 'assistant', 'Take your time [[fake:gate:sighup]]', '--vault', vault]);
    expect(sent.code, sent.stderr).toBe(0);
    const notePath = path.join(vault, sent.stdout.trim());
    await waitFor(async () => parseFrontmatter(await readFile(notePath, 'utf8')).data.status === 'running', { what: 'the slow turn running' });
    await waitFor(() => readInvocations(String(env.FAKE_CLAUDE_LOG)).length === 3, { what: 'the slow turn started' });

    daemon!.child.kill('SIGHUP');
    await waitFor(() => logLines(daemon!.stderr()).some((l) => l.msg === 'waiting for running turns'), { what: 'start waiting for the turn' });
    await openGate(String(env.FAKE_CLAUDE_STATE), 'sighup');
    const ran = await Promise.race([
      daemon!.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`start did not exit:\n${daemon!.stderr()}`)), PATIENCE_MS)),
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    const messages = logLines(ran.stderr).map((l) => l.msg);
    expect(messages).toContain('waiting for running turns');
    expect(messages).not.toContain('stopping running turns');
    expect(messages.at(-1)).toBe('stopped');
    expect(parseFrontmatter(await readFile(notePath, 'utf8')).data.status).toBe('done');
    expect(existsSync(lock)).toBe(false);
    // One turn per message: nothing ran twice.
    expect(readInvocations(String(env.FAKE_CLAUDE_LOG))).toHaveLength(3);
  });
});

describe('scriptorium with bad arguments', () => {
  it('an unknown command exits 2 with the help', async () => {
    const ran = await runCli(['frobnicate']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('unknown command "frobnicate"');
    expect(ran.stderr).toContain('Usage:');
    expect(ran.stdout).toBe('');
  });

  it('start on a folder that does not exist exits 2 and says how to create a vault', async () => {
    const missing = path.join(work, 'no-such-vault');
    const ran = await runCli(['start', missing]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(`${missing} is not a folder`);
    expect(ran.stderr).toContain('scriptorium init');
  });
});
