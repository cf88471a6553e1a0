// Approvals as notes, with the real Claude Code CLI: a Write that needs permission (permission_mode:
// default) becomes an approval note; a person's `decision: allow` lets it run, `deny` tells the model no;
// a write outside the vault is refused at once, with no note at all.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastToolResult, type RecordedRequest } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { REAL_CLAUDE_PATIENCE_MS } from '../helpers/real-claude.ts';
import { parseFrontmatter } from '../../src/vault/frontmatter.ts';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const RUN = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));

let v: RealClaudeVault | undefined;
let outside: string | undefined;
afterEach(async () => {
  await v?.close();
  v = undefined;
  if (outside) await rm(outside, { recursive: true, force: true });
  outside = undefined;
});

const WRITER = '---\ntags: [agent/definition]\npermission_mode: default\ntools: [Read, Write]\n---\nYou are WRITER.\n';

/** The fake model: write the file the message names, then report what the tool said. */
function writeThenReport(file: (req: RecordedRequest) => string) {
  return (req: RecordedRequest) => {
    const result = lastToolResult(req);
    if (result) return { text: `${result.isError ? 'REFUSED' : 'WROTE'}: ${result.text}` };
    return { toolUse: { name: 'Write', input: { file_path: file(req), content: 'approved text\n' } } };
  };
}

async function approvalNotes(vault: string): Promise<string[]> {
  return (await readdir(path.join(vault, 'Approvals')).catch(() => [] as string[])).map((n) => `Approvals/${n}`);
}

/** A vault whose writer agent's Write waits for approval: the approval note, and the file it would write. */
async function waitingForApproval(writer = WRITER, options: Parameters<typeof startRealClaudeVault>[1] = {}): Promise<{ vault: RealClaudeVault; target: string; note: string }> {
  v = await startRealClaudeVault({ 'Agents/writer.md': writer, 'Notes/.keep': '' }, options);
  const target = path.join(v.vault, 'Notes', 'out.md');
  v.fake.setHandler(writeThenReport(() => target));
  await v.write('Inbox/please.md', '---\ntags: [agent/message/inbound]\nto: writer\n---\nWrite the note.\n');
  let note = '';
  await waitFor(async () => ((note = (await approvalNotes(v!.vault))[0] ?? ''), note !== ''), { timeoutMs: REAL_CLAUDE_PATIENCE_MS, what: 'an approval note' });
  return { vault: v, target, note };
}

async function decide(vault: string, note: string, fields: string): Promise<void> {
  // As a person does in Obsidian: the note edited in place.
  const raw = await readFile(path.join(vault, note), 'utf8');
  await writeFile(path.join(vault, note), raw.replace('decision: pending', fields));
}

describe('approvals as notes', () => {
  it('allowed by editing the note: the Write runs, and the note says who decided and when', async () => {
    const { vault, target, note } = await waitingForApproval();
    const asked = await vault.note(note);
    expect(asked.data).toMatchObject({ tags: ['agent/approval'], agent: 'writer', tool: 'Write', decision: 'pending', message: '[[Inbox/please]]', thread: '[[Threads/writer]]' });
    expect(asked.data.input).toBe(`${target} (14 characters)`);
    expect(asked.body).toContain('"content": "approved text\\n"');
    // The turn waits: the message still runs, the file is not there, the Dashboard says what waits.
    expect((await vault.note('Inbox/please.md')).data.status).toBe('running');
    expect(existsSync(target)).toBe(false);
    await waitFor(async () => (await readFile(path.join(vault.vault, 'Dashboard.md'), 'utf8')).includes('## Needs you'), { what: 'Needs you on the Dashboard' });

    await decide(vault.vault, note, 'decision: allow');
    const done = await vault.waitForStatus('Inbox/please.md', ['done', 'error']);
    expect(done.status).toBe('done');
    expect(await readFile(target, 'utf8')).toBe('approved text\n');
    const reply = await vault.note(`${String(done.reply).slice(2, -2)}.md`);
    expect(reply.body).toMatch(/^WROTE: File created successfully/);
    await waitFor(async () => (await vault.note(note)).data.decided_by === 'user', { what: 'decided_by on the approval note' });
    expect((await vault.note(note)).data.decided_at).toEqual(expect.any(String));
  });

  it('denied by editing the note, with a reason: the Write does not run and the model is told why', async () => {
    const { vault, target, note } = await waitingForApproval();
    await decide(vault.vault, note, 'decision: deny\nreason: not in that folder');
    const done = await vault.waitForStatus('Inbox/please.md', ['done', 'error']);
    expect(done.status).toBe('done');
    expect(existsSync(target)).toBe(false);
    const reply = await vault.note(`${String(done.reply).slice(2, -2)}.md`);
    expect(reply.body).toMatch(/^REFUSED: The user denied Write: not in that folder\./);
    expect(parseFrontmatter(await readFile(path.join(vault.vault, 'Dashboard.md'), 'utf8')).body).not.toContain('## Needs you');
  });

  it("an agent with notify: posts the approval as it waits; the explain of the note says a turn waits for it", async () => {
    const posted: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        posted.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const { vault, target, note } = await waitingForApproval(WRITER.replace('tools: [Read, Write]\n', `tools: [Read, Write]\nnotify: ${url}\n`), {
        config: { policy: { allowBypassPermissions: false, allowShell: false, allowWorkspaceOutsideVault: false, allowedNotifyUrls: [url] } },
      });
      await waitFor(async () => posted.length > 0, { what: 'the approval posted' });
      expect(JSON.parse(posted[0]!)).toMatchObject({ event: 'approval', note, agent: 'writer', tool: 'Write', input: `${target} (14 characters)`, message: 'Inbox/please.md' });
      // `scriptorium explain` on the note, from the running daemon's status.json.
      await waitFor(
        async () => {
          const { stdout } = await run(process.execPath, [RUN, 'explain', note, '--vault', vault.vault, '--json']);
          return (JSON.parse(stdout) as { verdict: string }).verdict === 'waits for you: an approval';
        },
        { what: 'explain: waits for you' },
      );
      await decide(vault.vault, note, 'decision: deny');
      expect((await vault.waitForStatus('Inbox/please.md', ['done', 'error'])).status).toBe('done');
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('what the operator forbids is refused at once, never asked: a file outside the vault', async () => {
    outside = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-e2e-outside-'));
    const target = path.join(outside, 'escape.md');
    v = await startRealClaudeVault({ 'Agents/writer.md': WRITER });
    v.fake.setHandler(writeThenReport(() => target));
    await v.write('Inbox/escape.md', '---\ntags: [agent/message/inbound]\nto: writer\n---\nWrite outside.\n');
    const done = await v.waitForStatus('Inbox/escape.md', ['done', 'error']);
    expect(done.status).toBe('done');
    expect(existsSync(target)).toBe(false);
    const reply = await v.note(`${String(done.reply).slice(2, -2)}.md`);
    expect(reply.body).toMatch(/^REFUSED: /);
    expect(reply.body).toContain(`Refused by the operator's policy on this machine: ${target} is outside the folders this agent works in`);
    expect(await approvalNotes(v.vault)).toEqual([]);
  });
});
