// End to end: the daemon with the REAL Claude Code CLI (dev dependency), talking to a fake Anthropic
// Messages API on 127.0.0.1. Notes are written the way a user (or Obsidian) writes them: plain files.
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkTarget } from '../../src/vault/links.ts';
import { allUserTexts, lastUserText, systemText, type FakeAnthropic } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';

let v: RealClaudeVault;
let vault: string;
let home: string;
let fake: FakeAnthropic;

const note = (rel: string) => v.note(rel);
const waitForStatus = (rel: string, statuses: string[]) => v.waitForStatus(rel, statuses);

async function writeMessage(name: string, to: string, body: string): Promise<string> {
  const rel = `Inbox/${name}.md`;
  await v.write(rel, `---\ntags:\n  - agent/message/inbound\nto: ${to}\n---\n${body}\n`);
  return rel;
}

const AGENTS = {
  'Agents/researcher.md': '---\ntags: [agent/definition]\ndescription: Finds things.\n---\nYou are the researcher. Always answer briefly.\n',
};

beforeEach(async () => {
  v = await startRealClaudeVault(AGENTS);
  ({ vault, home, fake } = v);
});

afterEach(() => v.close());

describe('the real Claude Code CLI against a fake Messages API', () => {
  it('a note written by the user gets a reply note, linked both ways, and a thread note', async () => {
    fake.setHandler(() => ({ text: 'Rome was not built in a day.' }));
    const msg = await writeMessage('About Rome', 'researcher', 'How long did Rome take to build?');
    const done = await waitForStatus(msg, ['done', 'error']);
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('done');

    const replyPath = `${linkTarget(done.reply)}.md`;
    const reply = await note(replyPath);
    expect(reply.body.trim()).toBe('Rome was not built in a day.');
    expect(reply.data.in_reply_to).toBe('[[Inbox/About Rome]]');
    expect(reply.raw).toContain('in_reply_to: "[[Inbox/About Rome]]"');
    expect(done.thread).toBe('[[Threads/researcher]]');

    const thread = await note('Threads/researcher.md');
    expect(thread.data.turn_count).toBe(1);
    expect(thread.data.status).toBe('ok');
    expect(thread.data.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(thread.data.cost_usd).toBeGreaterThan(0);
    expect(thread.body).toContain('How long did Rome take to build?');
    expect(thread.body).toContain('Rome was not built in a day.');

    // The model saw the message and the agent's instructions.
    expect(fake.requests).toHaveLength(1);
    expect(lastUserText(fake.requests[0]!)).toContain('How long did Rome take to build?');
    expect(systemText(fake.requests[0]!)).toContain('You are the researcher.');
  });

  it('a second message resumes the same session: the API sees the earlier turn', async () => {
    fake.setHandler((req) => ({ text: req.n === 1 ? 'First answer about owls.' : 'Second answer.' }));
    const first = await writeMessage('Owls 1', 'researcher', 'Tell me about owls.');
    await waitForStatus(first, ['done']);
    const session = (await note('Threads/researcher.md')).data.session;

    const second = await writeMessage('Owls 2', 'researcher', 'And their eyesight?');
    await waitForStatus(second, ['done']);
    const thread = await note('Threads/researcher.md');
    expect(thread.data.session).toBe(session);
    expect(thread.data.turn_count).toBe(2);
    // The thread note keeps the latest turn; the first is in its archive, embedded above it.
    expect(thread.body).toContain('Second answer.');
    expect(thread.body).not.toContain('First answer about owls.');
    expect(thread.body).toContain('![[Threads/Archive/researcher, part 1]]');
    expect((await note('Threads/Archive/researcher, part 1.md')).body).toContain('First answer about owls.');

    const secondRequest = fake.requests.at(-1)!;
    const history = allUserTexts(secondRequest);
    expect(history).toContain('Tell me about owls.');
    expect(JSON.stringify(secondRequest.body.messages)).toContain('First answer about owls.');
    expect(lastUserText(secondRequest)).toContain('And their eyesight?');
    expect(secondRequest.headers['x-claude-code-session-id']).toBe(session);
  });

  it('an unknown session heals itself: a fresh session, said so in the thread', async () => {
    const first = await writeMessage('Bees 1', 'researcher', 'Tell me about bees.');
    await waitForStatus(first, ['done']);
    const oldSession = String((await note('Threads/researcher.md')).data.session);

    // Claude Code loses the session (its files removed, as after a cleanup or a new HOME).
    await rm(path.join(home, '.claude', 'projects'), { recursive: true, force: true });

    const second = await writeMessage('Bees 2', 'researcher', 'How do they dance?');
    const done = await waitForStatus(second, ['done', 'error']);
    expect(done.error).toBeUndefined();
    const thread = await note('Threads/researcher.md');
    expect(thread.data.session).not.toBe(oldSession);
    expect(thread.data.turn_count).toBe(2);
    expect(thread.body).toContain(`had no record of session ${oldSession}`);
    // The fresh session starts without the earlier turn.
    expect(allUserTexts(fake.requests.at(-1)!)).not.toContain('Tell me about bees.');
  });

  it('an API error becomes a visible failure: error on the message, failure note, thread in error', async () => {
    // One attempt: what the user sees of a failure is the subject here. With the daemon's retries (3 runs
    // of the CLI, each a few seconds on a busy machine) the failure would show only minutes later; the
    // retries themselves are tested with the fake claude (test/integration/retries.test.ts).
    await v.close();
    v = await startRealClaudeVault(AGENTS, { config: { maxAttempts: 1 } });
    ({ vault, home, fake } = v);
    fake.setHandler(() => ({ error: { status: 500, type: 'api_error', message: 'Internal server error' } }));
    const msg = await writeMessage('Broken', 'researcher', 'This will fail.');
    const failed = await waitForStatus(msg, ['error', 'done']);
    expect(failed.status).toBe('error');
    expect(String(failed.error)).toMatch(/500/);

    const failure = await note(`${linkTarget(failed.reply)}.md`);
    expect(failure.data.status).toBe('error');
    expect(failure.body).toContain('could not answer');
    expect(failure.body).toMatch(/500/);
    expect((await note('Threads/researcher.md')).data.status).toBe('error');

    // The lane is free: the next message runs.
    fake.setHandler(() => ({ text: 'Back to normal.' }));
    const next = await writeMessage('After', 'researcher', 'Are you there?');
    expect((await waitForStatus(next, ['done', 'error'])).status).toBe('done');
    const outbox = await readdir(path.join(vault, 'Outbox'));
    expect(outbox).toHaveLength(2);
  });

  it('an agent may write notes in the vault but not edit agent definitions, HALT.md or dot-folders', async () => {
    const target = (rel: string) => path.join(vault, rel);
    const attempts = [
      { rel: 'Notes/summary.md', allowed: true },
      { rel: 'Agents/researcher.md', allowed: false },
      { rel: 'HALT.md', allowed: false },
      { rel: '.obsidian/evil.json', allowed: false },
    ];
    fake.setHandler((req) => {
      const i = req.n - 1;
      const attempt = attempts[i];
      return attempt
        ? { toolUse: { name: 'Write', input: { file_path: target(attempt.rel), content: 'written by the agent\n' } } }
        : { text: 'Done writing.' };
    });
    const before = await readFile(target('Agents/researcher.md'), 'utf8');
    const msg = await writeMessage('Writes', 'researcher', 'Write some files.');
    const done = await waitForStatus(msg, ['done', 'error']);
    expect(done.status).toBe('done');

    expect(await readFile(target('Notes/summary.md'), 'utf8')).toBe('written by the agent\n');
    expect(await readFile(target('Agents/researcher.md'), 'utf8')).toBe(before);
    await expect(readFile(target('HALT.md'), 'utf8')).rejects.toThrow();
    await expect(readFile(target('.obsidian/evil.json'), 'utf8')).rejects.toThrow();
    // Each refusal reached the model as an error tool result.
    const last = JSON.stringify(fake.requests.at(-1)!.body.messages);
    expect(last.match(/denied by your permission settings/g)?.length).toBe(3);
  });
});
