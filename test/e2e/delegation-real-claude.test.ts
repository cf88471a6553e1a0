// An orchestrator delegates to two workers and answers from their results: the real Claude Code CLI,
// a fake Messages API whose "model" answers with tool_use blocks, and every note of the chain checked.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linkTarget } from '../../src/vault/links.ts';
import { lastUserText, systemText, type FakeReply, type RecordedRequest } from '../helpers/fake-anthropic.ts';
import { REAL_CLAUDE_PATIENCE_MS, startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';

const AGENTS = {
  'Agents/orchestrator.md': '---\ntags: [agent/definition]\ndescription: Splits work among workers.\ncan_message: [alpha, beta]\n---\nYou are the ORCHESTRATOR.\n',
  'Agents/alpha.md': '---\ntags: [agent/definition]\ndescription: Knows about X.\n---\nYou are ALPHA.\n',
  'Agents/beta.md': '---\ntags: [agent/definition]\ndescription: Knows about Y.\n---\nYou are BETA.\n',
};

let v: RealClaudeVault;
afterEach(async () => {
  if (process.env.DEBUG_E2E) {
    const { readdir: rd, readFile: rf } = await import('node:fs/promises');
    for (const dir of ['Inbox', 'Outbox', 'Threads']) {
      for (const n of await rd(path.join(v.vault, dir)).catch(() => [] as string[])) {
        console.log('=== ' + dir + '/' + n + '\n' + (await rf(path.join(v.vault, dir, n), 'utf8').catch(() => '(dir)')));
      }
    }
    console.log(v.logger.lines.map((l) => JSON.stringify(l)).join('\n'));
  }
  await v?.close();
});

const who = (req: RecordedRequest) => {
  const system = systemText(req);
  return system.includes('You are the ORCHESTRATOR') ? 'orchestrator' : system.includes('You are ALPHA') ? 'alpha' : 'beta';
};
const answersToolResult = (req: RecordedRequest) => {
  const users = req.body.messages.filter((m) => m.role === 'user');
  const last = users.at(-1)?.content;
  return Array.isArray(last) && last.some((b) => b.type === 'tool_result');
};

/** The fake model: workers answer, the orchestrator delegates first and sums up when called back. */
function model(delegate: (req: RecordedRequest) => FakeReply) {
  return (req: RecordedRequest): FakeReply => {
    const agent = who(req);
    if (agent === 'alpha') return { text: 'X is fast.' };
    if (agent === 'beta') return { text: 'Y is cheap.' };
    if (answersToolResult(req)) return { text: 'Delegated to alpha and beta; waiting for their results.' };
    const last = lastUserText(req);
    if (last.includes('<callback>')) {
      const both = last.includes('X is fast.') && last.includes('Y is cheap.');
      return { text: both ? 'FINAL: X is fast, Y is cheap; pick X for speed.' : `INCOMPLETE callback: ${last.slice(0, 200)}` };
    }
    return delegate(req);
  };
}

async function runChain(delegate: (req: RecordedRequest) => FakeReply) {
  v = await startRealClaudeVault(AGENTS);
  v.fake.setHandler(model(delegate));
  await v.write('Inbox/Compare.md', '---\ntags: [agent/message/inbound]\nto: orchestrator\n---\nCompare X and Y.\n');
  const first = await v.waitForStatus('Inbox/Compare.md', ['done', 'error']);
  expect(first.status).toBe('done');

  // The final answer arrives as an outbound note to the user, pointing back at the original message.
  let finalPath = '';
  await waitForOutbox(v, async (notes) => {
    for (const name of notes) {
      const n = await v.note(`Outbox/${name}`);
      if (n.body.startsWith('FINAL:') || n.body.startsWith('INCOMPLETE')) finalPath = `Outbox/${name}`;
    }
    return finalPath !== '';
  });
  const final = await v.note(finalPath);
  expect(final.body.trim()).toBe('FINAL: X is fast, Y is cheap; pick X for speed.');
  expect(final.data.to).toBe('user');
  expect(final.data.from).toBe('orchestrator');
  expect(final.data.origin_message).toBe('[[Inbox/Compare]]');

  // Worker messages: stamped by the rules, done, linked on to the callback.
  const inbox = await readdir(path.join(v.vault, 'Inbox'));
  const workerNotes = [];
  for (const name of inbox.filter((n) => n.endsWith('.md'))) {
    const n = await v.note(`Inbox/${name}`);
    if (n.data.to === 'alpha' || n.data.to === 'beta') workerNotes.push({ name, ...n });
  }
  expect(workerNotes.map((n) => n.data.to).sort()).toEqual(['alpha', 'beta']);
  for (const w of workerNotes) {
    expect(w.data).toMatchObject({ from: 'orchestrator', reply_to: 'orchestrator', delegation_depth: 1, status: 'done', origin_message: '[[Inbox/Compare]]' });
    expect(w.data.correlation_id).toBeTruthy();
    expect(linkTarget(w.data.callback_note)).toMatch(/^Inbox\//);
    const reply = await v.note(`${linkTarget(w.data.reply)}.md`);
    expect(reply.data.callback_note).toBe(w.data.callback_note);
  }

  // One callback woke the orchestrator with both results; it can start no other callback.
  const callbackPath = `${linkTarget(workerNotes[0]!.data.callback_note)}.md`;
  expect(workerNotes[1]!.data.callback_note).toBe(workerNotes[0]!.data.callback_note);
  // The final reply is written just before its message (the callback) is marked done.
  await v.waitForStatus(callbackPath, ['done', 'error']);
  const callback = await v.note(callbackPath);
  expect(callback.data).toMatchObject({ to: 'orchestrator', callback: true, outcome: 'ok', delegation_depth: 2, status: 'done' });
  expect(callback.data.reply_to).toBeUndefined();
  expect(callback.body).toContain('X is fast.');
  expect(callback.body).toContain('Y is cheap.');
  expect(`${linkTarget(callback.data.reply)}.md`).toBe(finalPath);
  expect(final.data.in_reply_to).toBe(`[[${callbackPath.replace(/\.md$/, '')}]]`);

  // The orchestrator's thread holds the whole conversation in one session: the request, then the callback.
  const thread = await v.note('Threads/orchestrator.md');
  expect(thread.data.turn_count).toBe(2);
  const orchestratorRequests = v.fake.requests.filter((r) => who(r) === 'orchestrator');
  expect(JSON.stringify(orchestratorRequests.at(-1)!.body.messages)).toContain('Compare X and Y.');
  return { workerNotes, callback };
}

async function waitForOutbox(v: RealClaudeVault, found: (names: string[]) => Promise<boolean>) {
  const until = Date.now() + REAL_CLAUDE_PATIENCE_MS;
  while (Date.now() < until) {
    const names = await readdir(path.join(v.vault, 'Outbox')).catch(() => []);
    if (await found(names.filter((n) => n.endsWith('.md')))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no final answer in Outbox/');
}

describe('an orchestrator delegates by notes and is called back', () => {
  it('delegating by writing the notes with the Write tool (one group, one callback)', async () => {
    await runChain((req) => {
      const root = v.vault;
      const note = (to: string, corr: string, task: string) => ({
        name: 'Write',
        input: {
          file_path: path.join(root, 'Inbox', `task for ${to}.md`),
          content: `---\ntags: [agent/message/inbound]\nto: ${to}\nfrom: orchestrator\nreply_to: orchestrator\ncorrelation_id: ${corr}\ndelegation_depth: 1\ngroup: compare-1\ngroup_size: 2\n---\n${task}\n`,
        },
      });
      void req;
      return { text: 'I will split this.', toolUse: [note('alpha', 'corr-x', 'Describe X.'), note('beta', 'corr-y', 'Describe Y.')] };
    });
  });

  it('delegating through the MCP delegate_all tool, which stamps the fields itself', async () => {
    const { workerNotes } = await runChain((req) => {
      const tools = (req.body.tools ?? []).map((t) => t.name);
      if (!tools.includes('mcp__scriptorium__delegate_all')) return { text: `NO MCP TOOL; tools: ${tools.join(',')}` };
      return {
        toolUse: {
          name: 'mcp__scriptorium__delegate_all',
          input: { tasks: [{ to: 'alpha', message: 'Describe X.', correlation_id: 'corr-x' }, { to: 'beta', message: 'Describe Y.' }] },
        },
      };
    });
    const corr = (to: string) => String(workerNotes.find((w) => w.data.to === to)!.data.correlation_id);
    expect(corr('alpha')).toBe('corr-x');
    expect(corr('beta')).toMatch(/^orchestrator-[0-9a-f]{8}$/);
    expect(String(workerNotes[0]!.data.group)).toMatch(/^orchestrator-group-/);
  });

  it('delegating one task through the MCP delegate tool: a single callback with the source links', async () => {
    v = await startRealClaudeVault(AGENTS);
    v.fake.setHandler((req) => {
      if (who(req) === 'alpha') return { text: 'X is fast.' };
      if (answersToolResult(req)) return { text: 'Asked alpha.' };
      const last = lastUserText(req);
      if (last.includes('<callback>')) return { text: last.includes('X is fast.') ? 'FINAL: alpha says X is fast.' : 'INCOMPLETE' };
      return { toolUse: { name: 'mcp__scriptorium__delegate', input: { to: 'alpha', message: 'Describe X.', correlation_id: 'only-x' } } };
    });
    await v.write('Inbox/Ask.md', '---\ntags: [agent/message/inbound]\nto: orchestrator\n---\nWhat about X?\n');
    await v.waitForStatus('Inbox/Ask.md', ['done']);
    let callbackPath = '';
    await waitForOutbox(v, async () => {
      const inbox = await readdir(path.join(v.vault, 'Inbox'));
      const found = inbox.find((n) => n.includes('callback'));
      if (!found) return false;
      callbackPath = `Inbox/${found}`;
      return (await v.note(callbackPath)).data.status === 'done';
    });
    const callback = await v.note(callbackPath);
    expect(callback.data).toMatchObject({ to: 'orchestrator', from: 'alpha', callback: true, outcome: 'ok', correlation_id: 'only-x', source_agent: 'alpha', source_thread: '[[Threads/alpha]]', delegation_depth: 2 });
    expect(String(callback.data.source_message)).toMatch(/^\[\[Inbox\/.* alpha - from orchestrator - Describe X\]\]$/);
    const final = await v.note(`${linkTarget(callback.data.reply)}.md`);
    expect(final.body.trim()).toBe('FINAL: alpha says X is fast.');
    expect(final.data.to).toBe('user');
    // Three orchestrator requests: the question, the tool result, the callback.
    expect(v.fake.requests.filter((r) => who(r) === 'orchestrator')).toHaveLength(3);
  });
});
