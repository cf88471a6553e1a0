// `scriptorium explain` on real temp vaults: one test per verdict the daemon can produce. Where it matters
// (done, error, unknown agent, disabled, halted, holds, the lane), the note's state is made by running the
// real daemon with the fake `claude` first, so explain is checked against what the daemon really did.
import { lstatSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SAFE_POLICY } from '../../src/agents/policy.ts';
import { explainCommand } from '../../src/cli/explain.ts';
import { UsageError } from '../../src/cli/output.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { explainNote, type ExplainContext, type Explanation } from '../../src/explain/explain.ts';
import { AGENT_MESSAGES_PER_HOUR } from '../../src/messages/delegation.ts';
import { readStatus } from '../../src/state/status-file.ts';
import { isoLocal } from '../../src/util/clock.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { scanVault } from '../../src/intake/vault-scan.ts';
import { createHarness, linkedPath, TEST_CONFIG, waitForStatus, type Harness, type HarnessOptions } from '../helpers/daemon-harness.ts';
import { setEnv, useFakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, inboundNote, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function vaultWith(files: Record<string, string> = {}): Promise<TempVault> {
  const vault = await createTempVault(files);
  cleanups.push(() => vault.cleanup());
  return vault;
}

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const h = await createHarness(options);
  cleanups.push(() => h.close());
  return h;
}

/** explainCommand in-process, stdout and stderr captured. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await explainCommand(argv), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** `explain <note> --vault <root> --json`, with no operator config but the one given. */
async function explain(root: string, note: string, ...flags: string[]): Promise<Explanation> {
  const config = flags.includes('--config') ? [] : ['--config', path.join(root, '.scriptorium', 'no-config.yaml')];
  const { code, stdout, stderr } = await run([note, '--vault', root, '--json', ...config, ...flags]);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as Explanation;
}

/** For explainNote directly: the vault read the way the CLI reads it, with parts replaced. */
async function contextOf(root: string, over: Partial<ExplainContext> = {}): Promise<ExplainContext> {
  const abs = (p: string) => path.join(root, p);
  return {
    files: {
      read: (p) => {
        try {
          return readFileSync(abs(p), 'utf8');
        } catch {
          return null;
        }
      },
      isSymlink: (p) => {
        try {
          return lstatSync(abs(p)).isSymbolicLink();
        } catch {
          return false;
        }
      },
    },
    scan: await scanVault(root, SAFE_POLICY),
    policy: SAFE_POLICY,
    daemon: null,
    halt: null,
    turns: [],
    schedule: {},
    now: new Date(),
    ...over,
  };
}

describe('notes the daemon never reads', () => {
  it('a file that is not markdown, a note in a dot-folder and notes in template folders are ignored, each saying why', async () => {
    const v = await vaultWith({
      'Inbox/notes.txt': 'hello',
      '.trash/old.md': inboundNote('helper', 'Hi'),
      'Templates/Message.md': inboundNote('helper', 'Hi'),
    });
    expect((await explain(v.root, 'Inbox/notes.txt')).verdict).toBe('ignored: not a markdown file');
    const hidden = await explain(v.root, '.trash/old.md');
    expect(hidden.verdict).toBe('ignored: in a hidden folder');
    expect(hidden.reasons[0]).toContain('".trash" starts with a dot');
    const template = await explain(v.root, 'Templates/Message.md');
    expect(template.verdict).toBe('ignored: in the template folder Templates/');
    expect(template.role).toBe('none');

    await v.write('.obsidian/templates.json', JSON.stringify({ folder: 'Forms' }));
    await v.write('Forms/Ask.md', inboundNote('helper', 'Hi'));
    expect((await explain(v.root, 'Forms/Ask.md')).verdict).toBe('ignored: in the template folder Forms/');
  });

  it('a symbolic link is not followed', async () => {
    const v = await vaultWith({ 'Inbox/.keep': '' });
    const outside = await mkdtemp(path.join(os.tmpdir(), 'explain-outside-'));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(path.join(outside, 'real.md'), inboundNote('helper', 'Hi'));
    await symlink(path.join(outside, 'real.md'), path.join(v.root, 'Inbox', 'link.md'));
    const e = await explain(v.root, 'Inbox/link.md');
    expect(e.verdict).toBe('ignored: a symbolic link');
    expect(e.next).toContain('Put the note itself in the vault');
  });

  it('an ordinary note is not a Scriptorium note, and a tag in the singular field is pointed out', async () => {
    const v = await vaultWith({
      'Notes/plain.md': '# Just a note\n',
      'Notes/singular.md': '---\ntag: agent/message/inbound\nto: helper\n---\nHello\n',
      'Notes/other.md': '---\ntags: [agent/todo]\n---\nHello\n',
    });
    const plain = await explain(v.root, 'Notes/plain.md');
    expect(plain.verdict).toBe('ignored: not a Scriptorium note');
    expect(plain.reasons[0]).toBe('It has no frontmatter, so no agent/ tag: it is one of your ordinary notes.');
    expect((await explain(v.root, 'Notes/singular.md')).reasons[0]).toContain('a field named "tag"');
    expect((await explain(v.root, 'Notes/other.md')).reasons[0]).toContain('Its tags (agent/todo) name no Scriptorium role');
  });

  it('unreadable frontmatter is explained with the parser\'s reason', async () => {
    const v = await vaultWith({
      'Inbox/bad-yaml.md': '---\ntags: [agent/message/inbound\nto: helper\n---\nHello\n',
      'Inbox/unclosed.md': '---\ntags: [agent/message/inbound]\nto: helper\nHello\n',
    });
    const yaml = await explain(v.root, 'Inbox/bad-yaml.md');
    expect(yaml.verdict).toBe('ignored: its frontmatter cannot be read');
    expect(yaml.reasons[0]).toMatch(/^The frontmatter cannot be read: the frontmatter is not valid YAML: /);
    const unclosed = await explain(v.root, 'Inbox/unclosed.md');
    expect(unclosed.reasons[0]).toBe('The frontmatter cannot be read: the frontmatter starts with "---" but has no closing "---" line.');
  });

  it('a sync conflict copy does not run; an iCloud-style "Name 2.md" counts only with the same text as Name.md', async () => {
    const v = await vaultWith({
      'Inbox/q (Conflicted copy 2026-01-02 100000).md': inboundNote('helper', 'What is new?'),
      'Inbox/q.md': inboundNote('helper', 'What is new?'),
      'Inbox/q 2.md': inboundNote('helper', 'What is new?'),
      'Inbox/Question.md': inboundNote('helper', 'First question'),
      'Inbox/Question 2.md': inboundNote('helper', 'Another question'),
    });
    await v.writeAgent('helper');
    const named = await explain(v.root, 'Inbox/q (Conflicted copy 2026-01-02 100000).md');
    expect(named.verdict).toBe('will not run: a sync conflict copy');
    expect(named.next).toBe('Merge what you need into the original note, then delete this copy.');
    const icloud = await explain(v.root, 'Inbox/q 2.md');
    expect(icloud.verdict).toBe('will not run: a sync conflict copy');
    expect(icloud.reasons[0]).toBe("It has the same text as Inbox/q.md: iCloud's conflict copy of it.");
    expect((await explain(v.root, 'Inbox/Question 2.md')).verdict).toBe('waits: the daemon is not running');
  });

  it('a message over max_message_bytes will not run, with its size and the limit; one that big is not read whole', async () => {
    const v = await vaultWith({ 'Inbox/huge.md': inboundNote('helper', 'All work and no play makes a long note.\n'.repeat(5_000)) });
    await v.writeAgent('helper');
    await v.write('.scriptorium/config.yaml', 'max_message_bytes: 65536\n');
    const config = path.join(v.root, '.scriptorium', 'config.yaml');
    const e = await explain(v.root, 'Inbox/huge.md', '--config', config);
    expect(e.verdict).toBe('will not run: over the size limit (max_message_bytes)');
    expect(e.reasons[0]).toMatch(/^this note is \d+ bytes, over the limit of 65536 bytes set by max_message_bytes in the operator config, so it was not read\. Shorten it, then set status back to ready\. When the daemon starts/);
    // Under the default limit the same note is an ordinary message.
    expect((await explain(v.root, 'Inbox/huge.md')).verdict).toBe('waits: the daemon is not running');
  });

  it('HALT.md is the halt switch', async () => {
    const v = await vaultWith({ 'HALT.md': '# Halted\n\nMoving house.\n' });
    const e = await explain(v.root, 'HALT.md');
    expect(e.verdict).toBe('the halt switch');
    expect(e.reasons[0]).toContain('(Moving house.)');
  });
});

describe('messages that wait or will not run, read from the vault alone (no daemon)', () => {
  it('a draft says to set status: ready, and warns of what would stop it then', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const draft = await v.writeMessage('draft', 'helper', 'Half written', { status: 'draft' });
    const e = await explain(v.root, draft);
    expect(e).toMatchObject({ note: 'Inbox/draft.md', role: 'inbound', verdict: 'draft: not sent yet', next: 'Set status: ready to send it.' });
    expect(e.reasons).toEqual(['status: draft — set status: ready to send it.']);
    const misaddressed = await v.writeMessage('draft2', 'nobody', 'Half written', { status: 'draft' });
    expect((await explain(v.root, misaddressed)).reasons[1]).toBe('Once ready it will not run: to: no agent named "nobody" (agents: helper).');
  });

  it('a message with an empty body waits', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const e = await explain(v.root, await v.writeMessage('empty', 'helper', ''));
    expect(e.verdict).toBe('waits: the body is empty');
    expect(e.reasons[0]).toContain('waits: the body is empty');
  });

  it('a ready message waits for the daemon to start', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const e = await explain(v.root, await v.writeMessage('ask', 'helper', 'Hello?'));
    expect(e.verdict).toBe('waits: the daemon is not running');
    expect(e.next).toBe('Start the daemon: scriptorium start.');
    expect(e.facts).toMatchObject({ to: 'helper', daemon: 'not running', agent: 'helper (Agents/helper.md)' });
  });

  it('an unknown agent in to: will fail, listing the known agents', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    await v.writeAgent('writer');
    const e = await explain(v.root, await v.writeMessage('ask', 'nobody', 'Hello?'));
    expect(e.verdict).toBe('will fail: no agent named "nobody"');
    expect(e.reasons[0]).toBe('to: no agent named "nobody" (agents: helper, writer). When the daemon starts, it marks it status: error with this reason.');
    expect(e.next).toContain('Set to: to one of helper, writer');
  });

  it('a field the daemon cannot read is named', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const missingTo = await explain(v.root, await v.writeMessage('no-to', undefined, 'Hello?'));
    expect(missingTo.verdict).toBe('will not run: invalid field to');
    expect(missingTo.reasons[0]).toBe('invalid field to: is missing: name the agent this message is for.');
    const badStatus = await explain(v.root, await v.writeMessage('sent', 'helper', 'Hello?', { status: 'sent' }));
    expect(badStatus.verdict).toBe('will not run: invalid field status');
  });

  it('a message to an agent whose definition is invalid names the invalid field; the definition says the same', async () => {
    const v = await vaultWith();
    const definition = await v.writeAgent('broken', { max_turns: 'forty' });
    const e = await explain(v.root, await v.writeMessage('ask', 'broken', 'Hello?'));
    expect(e.verdict).toBe('will fail: the agent "broken" has an invalid definition');
    expect(e.reasons[0]).toContain('The definition Agents/broken.md is invalid: invalid field max_turns: expected a whole number above 0, found "forty"');
    const d = await explain(v.root, definition);
    expect(d.verdict).toBe('agent "broken": invalid (max_turns)');
    expect(d.reasons[0]).toBe('invalid field max_turns: expected a whole number above 0, found "forty"');
  });

  it('an agent choosing an MCP server and a secret: refused until the config offers them, then each turn\'s grants are named', async () => {
    const v = await vaultWith();
    const definition = await v.writeAgent('gh', { mcp: ['github'], env: ['GITHUB_TOKEN'], tools: ['Read', 'mcp__github__*'] });
    const refused = await explain(v.root, definition);
    expect(refused.verdict).toBe('agent "gh": refused by the operator\'s policy');
    expect(refused.reasons[0]).toBe('invalid field mcp: github is not an MCP server the operator configured on this machine (mcp_servers in the Scriptorium config: none)');
    const config = path.join(v.root, '.scriptorium', 'config.yaml');
    await v.write('.scriptorium/config.yaml', 'mcp_servers:\n  github: { command: github-mcp }\nsecrets: [GITHUB_TOKEN]\n');
    const allowed = await explain(v.root, definition, '--config', config);
    expect(allowed.verdict).toBe('agent "gh": valid, enabled');
    expect(allowed.reasons).toContain('Each turn gets MCP servers github; secrets GITHUB_TOKEN (names; values are never shown), and nothing else from the operator config.');
    expect(allowed.facts).toMatchObject({ mcp: '["github"]', env: '["GITHUB_TOKEN"]' });
  });

  it("a definition the operator's policy refuses, and the same definition under a config that allows it", async () => {
    const v = await vaultWith();
    const definition = await v.writeAgent('sheller', { tools: ['Read', 'Bash'] });
    const refused = await explain(v.root, definition);
    expect(refused.verdict).toBe('agent "sheller": refused by the operator\'s policy');
    expect(refused.reasons[0]).toBe('invalid field tools: Bash is refused: shell access needs allow_shell in the Scriptorium config on this machine');
    const message = await explain(v.root, await v.writeMessage('ask', 'sheller', 'ls?'));
    expect(message.verdict).toBe('will fail: the agent "sheller" is refused by the operator\'s policy');

    const config = path.join(v.root, '.scriptorium', 'config.yaml');
    await v.write('.scriptorium/config.yaml', 'allow_shell: true\n');
    expect((await explain(v.root, definition, '--config', config)).verdict).toBe('agent "sheller": valid, enabled');
    await v.write('.scriptorium/config.yaml', 'allow_shell: yes please\n');
    await expect(run([definition, '--vault', v.root, '--config', config])).rejects.toThrow(UsageError);
  });

  it('a message past the delegation depth limit is refused', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const e = await explain(v.root, await v.writeMessage('deep', 'helper', 'Go on.', { delegation_depth: 9 }));
    expect(e.verdict).toBe('will be refused: past the delegation depth limit');
    expect(e.reasons[0]).toMatch(/^delegation_depth 9 is past the limit of 8: the chain of agents messaging agents stops here\./);
  });

  it("a message from an agent to one its can_message does not allow is refused", async () => {
    const v = await vaultWith();
    await v.writeAgent('boss', { can_message: ['helper'] });
    await v.writeAgent('helper');
    await v.writeAgent('worker');
    const e = await explain(v.root, await v.writeMessage('task', 'worker', 'Do it.', { from: 'boss', reply_to: 'boss', delegation_depth: 1 }));
    expect(e.verdict).toBe('will be refused: boss may not message worker');
    expect(e.reasons[0]).toMatch(/^boss may not message worker: its can_message allows helper\./);
    expect(e.next).toBe('Add worker to can_message in Agents/boss.md, then set status: ready.');
  });

  it('a delegated message says who is called back; a callback says what it is', async () => {
    const v = await vaultWith();
    await v.writeAgent('boss');
    await v.writeAgent('worker');
    const delegated = await explain(v.root, await v.writeMessage('task', 'worker', 'Do it.', { from: 'boss', reply_to: 'boss', delegation_depth: 1 }));
    expect(delegated.reasons).toContain('When it ends (done or error), boss is called back.');
    const atLimit = await explain(v.root, await v.writeMessage('deep', 'worker', 'Do it.', { from: 'boss', reply_to: 'boss', delegation_depth: 8 }));
    expect(atLimit.reasons).toContain('When it ends, no callback goes to boss: delegation depth 8 reached the limit of 8.');
    const callback = await explain(v.root, await v.writeMessage('cb', 'boss', 'worker finished the message you sent.', { from: 'worker', callback: true, outcome: 'ok', delegation_depth: 2 }));
    expect(callback.reasons).toContain('This is a callback: worker reports on work boss delegated; it runs as a turn of boss.');
    expect(callback.facts.callback).toBe('true');
  });

  it('the loop guard: an agent that sent 30 messages to agents in the last hour', async () => {
    const v = await vaultWith();
    await v.writeAgent('boss');
    await v.writeAgent('worker');
    const now = new Date('2026-03-02T12:00:00Z');
    for (let i = 0; i < AGENT_MESSAGES_PER_HOUR; i++) {
      await v.writeMessage(`sent ${i}`, 'worker', `Task ${i}`, { from: 'boss', status: 'done', queued_at: isoLocal(new Date(now.getTime() - 30 * 60_000)) });
    }
    const note = await v.writeMessage('one more', 'worker', 'Again.', { from: 'boss' });
    const daemon = { pid: process.pid, status: { pid: process.pid, vault: v.root, startedAt: isoLocal(new Date(now.getTime() - 2 * 3_600_000)), updatedAt: '', halted: false, concurrency: 2, agents: [] } };
    const e = explainNote(v.root, note, await contextOf(v.root, { daemon, now }));
    expect(e.verdict).toBe('will be refused: the loop guard');
    expect(e.reasons[0]).toMatch(/^boss has sent 30 messages to agents in the last hour/);
    // A daemon starting afresh has counted nothing yet.
    expect(explainNote(v.root, note, await contextOf(v.root, { now })).verdict).toBe('waits: the daemon is not running');
  });

  it('a running message with no daemon was cut off; cancelled is skipped', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const cut = await explain(v.root, await v.writeMessage('cut', 'helper', 'Hello?', { status: 'running', started_at: '2026-03-02T10:00:00+00:00' }));
    expect(cut.verdict).toBe('interrupted: no daemon runs, yet it says running');
    expect(cut.next).toBe('Start the daemon (scriptorium start) to settle it.');
    const cancelled = await explain(v.root, await v.writeMessage('stop', 'helper', 'Hello?', { status: 'cancelled' }));
    expect(cancelled).toMatchObject({ verdict: 'cancelled: Scriptorium skips it', next: 'Set status: ready to run it.' });
  });

  it("done in an earlier month: its turn's cost is read from that month's file, however many turns came since", async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const finished = '2025-03-10T09:31:00+00:00';
    const turn = (at: string, message: string, costUsd: number) =>
      JSON.stringify({ at, agent: 'helper', message, thread: 'Threads/helper.md', reply: 'Outbox/old reply.md', ok: true, costUsd, durationMs: 4200 }) + '\n';
    const old = await v.writeMessage('old', 'helper', 'Hello?', { status: 'done', started_at: '2025-03-10T09:30:00+00:00', finished_at: finished });
    await v.write('.scriptorium/turns/2025-03.jsonl', turn(finished, old, 0.1234));
    // More turns this month than explain reads back for its budgets: the old month is not among them.
    const now = isoLocal(new Date());
    await v.write(`.scriptorium/turns/${now.slice(0, 7)}.jsonl`, Array.from({ length: 20_001 }, (_, i) => turn(now, `Inbox/other ${i}.md`, 0.001)).join(''));
    const e = await explain(v.root, old);
    expect(e.facts).toMatchObject({ cost: '$0.1234', duration: '4.2 s' });
    expect(e.reasons).toContain('Its turn cost $0.1234 and took 4.2 s.');
  });
});

describe('agent definitions', () => {
  it('a valid scheduled agent shows its next run; a disabled one says so; a second claim to a name is not an agent', async () => {
    const v = await vaultWith();
    const digest = await v.writeAgent('digest', { schedule: '0 9 * * *' });
    const e = await explain(v.root, digest);
    expect(e.verdict).toBe('agent "digest": valid, enabled');
    expect(e.facts.next_run).toMatch(/T09:00:00\+00:00$/);
    expect(e.reasons[0]).toBe(`Its schedule fires next at ${e.facts.next_run}, if a daemon runs then.`);

    const sleeper = await v.writeAgent('sleeper', { enabled: false });
    await v.writeMessage('wake', 'sleeper', 'Hello?');
    const s = await explain(v.root, sleeper);
    expect(s.verdict).toBe('agent "sleeper": valid, but disabled');
    expect(s.reasons).toContain('1 message to it waits (ready or queued).');

    await v.write('Agents/a.md', '---\ntags: [agent/definition]\nname: digest\n---\nFirst claim.\n');
    const taken = await explain(v.root, digest);
    expect(taken.verdict).toBe('not an agent: the name "digest" is taken by Agents/a.md');
  });
});

describe('against the real daemon (fake claude)', () => {
  it('done: when, the reply, the thread and the cost from turns.jsonl; the reply, thread and definition notes explain themselves', async () => {
    const h = await harness();
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'helper', 'Hello?');
    const fields = await waitForStatus(h.vault, msg, 'done');
    const e = await waitFor(async () => {
      const x = await explain(h.vault.root, msg);
      return x.facts.cost ? x : null;
    }, { what: 'the turn in turns.jsonl' });
    expect(e.verdict).toBe(`done at ${fields.finished_at}`);
    expect(e.facts).toMatchObject({ status: 'done', reply: fields.reply, thread: fields.thread, daemon: `running (pid ${process.pid})` });
    expect(e.facts.cost).toMatch(/^\$\d+\.\d{4}$/);
    expect(e.reasons[0]).toBe(`It ran and finished at ${fields.finished_at}; the reply is ${fields.reply}.`);
    expect(e.next).toBe('Set status back to ready to run it again.');

    const reply = await explain(h.vault.root, linkedPath(fields.reply));
    expect(reply).toMatchObject({ role: 'outbound', verdict: 'reply from helper: never runs', next: 'See the message it answers: [[Inbox/m]].' });
    const threadPath = linkedPath(fields.thread);
    const thread = await explain(h.vault.root, threadPath);
    expect(thread.verdict).toBe('thread of helper: 1 turn, never runs');
    expect(thread.facts.session).toBe((await h.vault.fields(threadPath)).session);
    expect((await explain(h.vault.root, 'Agents/helper.md')).verdict).toBe('agent "helper": valid, enabled');
  });

  it('error: the error the daemon wrote, and how to run it again', async () => {
    const h = await harness();
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'helper', 'Break [[fake:fail]]');
    const fields = await waitForStatus(h.vault, msg, 'error');
    const e = await explain(h.vault.root, msg);
    const error = String(fields.error);
    expect(e.verdict).toBe(`failed: ${error.length > 100 ? `${error.slice(0, 100)}…` : error}`);
    expect(e.reasons[0]).toBe(`error: ${error}`);
    expect(e.reasons[1]).toBe(`The failure note is ${fields.reply}, written at ${fields.finished_at}.`);
    expect(e.next).toBe('Set status back to ready to run it again.');
  });

  it('unknown agent: the daemon refused it, and explain says it would be refused again', async () => {
    const h = await harness();
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'nobody', 'Hello?');
    const fields = await waitForStatus(h.vault, msg, 'error');
    expect(fields.error).toBe('to: no agent named "nobody" (agents: helper)');
    const e = await explain(h.vault.root, msg);
    expect(e.verdict).toBe('failed: to: no agent named "nobody" (agents: helper)');
    expect(e.reasons).toContain(`It was refused at ${fields.finished_at}, before any turn ran.`);
    expect(e.reasons).toContain('Set back to ready now, it would not run either: to: no agent named "nobody" (agents: helper).');
    expect(e.next).toBe('Set to: to one of helper (or create the agent), then set status: ready.');
  });

  it('disabled: the daemon left it queued, and explain says the agent is disabled', async () => {
    const h = await harness();
    await h.vault.writeAgent('sleeper', { enabled: false });
    await h.start();
    const msg = await h.vault.writeMessage('m', 'sleeper', 'Are you there?');
    await waitForStatus(h.vault, msg, 'queued');
    const e = await explain(h.vault.root, msg);
    expect(e.verdict).toBe('waits: the agent "sleeper" is disabled');
    expect(e.next).toBe('Set enabled: true in Agents/sleeper.md (or remove the line).');
    expect(h.fake.invocations()).toHaveLength(0);
  });

  it('running: a turn in progress', async () => {
    const h = await harness();
    await h.vault.writeAgent('helper');
    await h.start();
    // Held until explain has looked: on a busy machine a three-second turn could be over by then.
    const msg = await h.vault.writeMessage('m', 'helper', 'Take your time [[fake:gate:running]]');
    const fields = await waitForStatus(h.vault, msg, 'running');
    const e = await explain(h.vault.root, msg);
    expect(e.verdict).toBe(`running since ${fields.started_at}`);
    expect(e.reasons[0]).toBe('A turn of helper is running now in [[Threads/helper]]; the reply and status: done (or error) are written when it ends.');
    await h.fake.openGate('running');
  });

  it('halted: the message waits queued behind HALT.md, with its reason', async () => {
    const h = await harness();
    await h.vault.writeAgent('helper');
    await h.start();
    await h.vault.write('HALT.md', '# Halted\n\nMaintenance window.\n');
    await waitFor(() => h.daemon.halted, { what: 'halted' });
    const msg = await h.vault.writeMessage('m', 'helper', 'Hello?');
    await waitForStatus(h.vault, msg, 'queued');
    const e = await explain(h.vault.root, msg);
    expect(e.verdict).toBe('waits: halted');
    expect(e.reasons[0]).toBe('Halted: HALT.md is present (Maintenance window.); no turn starts while it exists.');
    expect(e.next).toBe('Run "scriptorium resume" (or delete HALT.md).');
  });

  it('max_runs_per_hour: the daemon holds the message with waiting_for, and explain gives the same reason', async () => {
    const h = await harness();
    await h.vault.writeAgent('helper', { max_runs_per_hour: 1 });
    await h.start();
    await waitForStatus(h.vault, await h.vault.writeMessage('first', 'helper', 'One.'), 'done');
    const second = await h.vault.writeMessage('second', 'helper', 'Two.');
    const waiting = await waitFor(async () => (await h.vault.fields(second)).waiting_for, { what: 'waiting_for on the note' });
    const e = await explain(h.vault.root, second);
    expect(e.verdict).toBe('waits: max_runs_per_hour reached');
    expect(e.reasons[0]).toBe(`waiting_for: ${waiting}.`);
    expect(e.next).toMatch(/^Raise max_runs_per_hour in Agents\/helper\.md, or let it wait until /);
  });

  it("the vault's daily_budget_usd: the daemon holds every agent's message, and explain gives the same reason, from the config or from the daemon", async () => {
    const h = await harness({ config: { dailyBudgetUsd: 0.0001 } });
    await h.vault.writeAgent('helper');
    await h.start();
    await waitForStatus(h.vault, await h.vault.writeMessage('first', 'helper', 'One.'), 'done');
    const second = await h.vault.writeMessage('second', 'helper', 'Two.');
    const waiting = await waitFor(async () => (await h.vault.fields(second)).waiting_for, { what: 'waiting_for on the note' });
    expect(String(waiting)).toMatch(/^vault daily_budget_usd reached: /);
    const config = path.join(h.vault.root, '.scriptorium', 'operator.yaml');
    await writeFile(config, 'daily_budget_usd: 0.0001\n');
    const e = await explain(h.vault.root, second, '--config', config);
    expect(e.verdict).toBe('waits: vault daily_budget_usd reached');
    expect(e.reasons[0]).toBe(`waiting_for: ${waiting}. It is the operator's cap on the whole vault: no agent's turn starts until the day is over, and then this message runs by itself.`);
    expect(e.next).toMatch(new RegExp(`^Raise daily_budget_usd in the operator config \\(${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) and restart the daemon, or let it wait until `));
    // No cap in the config explain reads: the running daemon's status.json says it.
    await waitFor(async () => (await readStatus(h.vault.root))?.spending?.stopped, { what: 'status.json saying spending stopped' });
    const fromDaemon = await explain(h.vault.root, second);
    expect(fromDaemon.verdict).toBe('waits: vault daily_budget_usd reached');
    expect(fromDaemon.reasons[0]).toBe(e.reasons[0]);
  });

  it('retry_at: a temporary failure is retried later, and explain says when', async () => {
    const h = await harness({ config: { retryBaseMs: 60_000 } });
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('m', 'helper', 'Overloaded [[fake:api-529]]');
    const fields = await waitFor(async () => {
      const f = await h.vault.fields(msg);
      return f.retry_at ? f : null;
    }, { what: 'retry_at on the note' });
    const e = await explain(h.vault.root, msg);
    expect(e.verdict).toBe('waits: retrying after a temporary failure');
    expect(e.reasons[0]).toBe(`Attempt 1 failed with a temporary error; it runs again at ${fields.retry_at} (${fields.waiting_for}).`);
  });

  it('queued: behind the messages queued before it, while the agent runs another', async () => {
    const fake = await useFakeClaude();
    const v = await createTempVault();
    let now = Date.parse('2026-03-02T10:00:00Z');
    const daemon = new Daemon({ vault: v.root, config: TEST_CONFIG, logger: createMemoryLogger(), clock: { now: () => new Date(now) } });
    cleanups.push(async () => {
      try {
        await daemon.close({ graceMs: 500 });
      } finally {
        await fake.restore();
        await v.cleanup();
      }
    });
    await v.writeAgent('helper');
    await daemon.start();
    // Held until the lane has been read: b and c must still wait behind it.
    const a = await v.writeMessage('a', 'helper', 'First [[fake:gate:first]]');
    await waitForStatus(v, a, 'running');
    const b = await v.writeMessage('b', 'helper', 'Second.');
    await waitForStatus(v, b, 'queued');
    now += 60_000;
    const c = await v.writeMessage('c', 'helper', 'Third.');
    await waitForStatus(v, c, 'queued');
    // status.json is written a moment after each change: wait until it shows the lane.
    const third = await waitFor(async () => {
      const e = await explain(v.root, c);
      return e.reasons.includes('helper is running another message now; 2 wait in its lane.') ? e : null;
    }, { what: 'status.json showing the lane' });
    expect(third.verdict).toBe('queued: behind 1 other message for helper');
    expect((await explain(v.root, b)).verdict).toBe('queued: next in line');
    await fake.openGate('first');
  });
});

describe('the command line', () => {
  it('takes a wikilink, a path without .md, an absolute path, or a path from the current folder; finds the vault above the note', async () => {
    const v = await vaultWith({ '.obsidian/app.json': '{}' });
    await v.writeAgent('helper');
    await v.writeMessage('q', 'helper', 'Hello?');
    const restoreEnv = setEnv({ SCRIPTORIUM_VAULT: undefined, SCRIPTORIUM_CONFIG: path.join(v.root, '.scriptorium', 'none.yaml') });
    const cwd = process.cwd();
    try {
      const noteOf = async (argv: string[]) => {
        const ran = await run([...argv, '--json']);
        expect(ran.code, ran.stderr).toBe(0);
        return (JSON.parse(ran.stdout) as Explanation).note;
      };
      expect(await noteOf(['[[Inbox/q]]', '--vault', v.root])).toBe('Inbox/q.md');
      expect(await noteOf(['Inbox/q', '--vault', v.root])).toBe('Inbox/q.md');
      expect(await noteOf([path.join(v.root, 'Inbox', 'q.md')])).toBe('Inbox/q.md');
      process.chdir(path.join(v.root, 'Inbox'));
      expect(await noteOf(['q'])).toBe('Inbox/q.md');
      expect(await noteOf(['Inbox/q.md'])).toBe('Inbox/q.md');
    } finally {
      process.chdir(cwd);
      restoreEnv();
    }
  });

  it('prints the explanation for a person, exits 1 for a missing note and throws a usage error for bad arguments', async () => {
    const v = await vaultWith();
    await v.writeAgent('helper');
    const msg = await v.writeMessage('q', 'helper', 'Hello?');
    const config = path.join(v.root, '.scriptorium', 'none.yaml');
    const human = await run([msg, '--vault', v.root, '--config', config]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Inbox\/q\.md \(message\): waits: the daemon is not running\n/);
    expect(human.stdout).toMatch(/^ {2}to\s+helper$/m);
    expect(human.stdout).toContain('\nNext: Start the daemon: scriptorium start.\n');

    const missing = await run(['Inbox/nope', '--vault', v.root, '--config', config]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No such note: ${path.join(v.root, 'Inbox/nope')}, ${path.join(v.root, 'Inbox/nope.md')}`);

    await expect(run(['--vault', v.root])).rejects.toThrow(UsageError);
    const outside = path.join(path.dirname(v.root), `${path.basename(v.root)}-outside.md`);
    await writeFile(outside, '# elsewhere\n');
    cleanups.push(() => rm(outside, { force: true }));
    await expect(run([outside, '--vault', v.root])).rejects.toThrow(/is not inside the vault/);
  });
});
