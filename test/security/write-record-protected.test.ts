// Attack: the turn's own tools rewrite the record of who wrote what (`.scriptorium/writes/<agent>.jsonl`):
// empty its own so its note passes for a person's, or plant another agent's record for the next start.
// The dot-folder deny rules (`Edit(//<vault>/.*/**)`, turns/turn-request.ts) must cover every edit tool,
// every permission mode the operator may allow, and a path spelled with `~`. Real Claude Code CLI against
// the fake Messages API.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allUserTexts, lastUserText, type FakeReply, type RecordedRequest, type ToolUseSpec } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';

let v: RealClaudeVault | undefined;

afterEach(async () => {
  await v?.close();
  v = undefined;
});

const agent = (mode: string) => `---\ntags: [agent/definition]\ntools: [Write, Read, Edit, NotebookEdit]\npermission_mode: ${mode}\ncan_message: []\n---\nYou work.\n`;

describe("a turn's tools on Scriptorium's record of its writes", () => {
  it.each(['acceptEdits', 'bypassPermissions'])('are denied in %s: Write, Edit and NotebookEdit, by any spelling of the path', async (mode) => {
    v = await startRealClaudeVault({ 'Agents/loner.md': agent(mode) }, {
      config: { policy: { allowBypassPermissions: true, allowShell: false, allowWorkspaceOutsideVault: false } },
      // Claude Code refuses bypassPermissions to root (as tests may run) outside a sandbox it is told of.
      env: { IS_SANDBOX: '1' },
    });
    const own = path.join(v.vault, '.scriptorium/writes/loner.jsonl');
    const other = path.join(v.vault, '.scriptorium/writes/helper.jsonl');
    const tilde = `~/../${path.basename(v.vault)}/.scriptorium/writes/loner.jsonl`;
    const calls: ToolUseSpec[] = [
      { name: 'Write', input: { file_path: own, content: '{"agent":"loner","depth":0,"origin":"x"}\n' } },
      { name: 'Write', input: { file_path: tilde, content: '{"agent":"loner","depth":0,"origin":"x"}\n' } },
      { name: 'Write', input: { file_path: other, content: '{"agent":"helper","depth":0,"origin":"x"}\n' } },
      { name: 'Read', input: { file_path: own } },
      { name: 'Edit', input: { file_path: own, old_string: '"agent":"loner"', new_string: '"agent":"helper"' } },
      { name: 'NotebookEdit', input: { notebook_path: path.join(v.vault, '.scriptorium/writes/n.ipynb'), new_source: 'x', edit_mode: 'insert', cell_type: 'code' } },
    ];
    let step = 0;
    v.fake.setHandler((req: RecordedRequest): FakeReply => {
      if (lastUserText(req).includes('Start.') && step < calls.length) return { toolUse: calls[step++]! };
      return { text: 'ok' };
    });
    await v.write('Inbox/start.md', '---\ntags: [agent/message/inbound]\nto: loner\n---\nStart.\n');
    const started = await v.waitForStatus('Inbox/start.md', ['done', 'error']);
    expect(started.error).toBeUndefined();

    const results = allUserTexts(v.fake.requests.at(-1)!);
    // The four writes and the edit are refused by the deny rules; the Read went through. (NotebookEdit
    // writes no new file: Claude Code asks for a notebook read first.)
    expect(results.match(/denied by your permission settings/g)).toHaveLength(4);
    expect(results).toContain('File has not been read yet');
    await expect(readFile(path.join(v.vault, '.scriptorium/writes/n.ipynb'), 'utf8')).rejects.toThrow(/ENOENT/);
    const record = await readFile(own, 'utf8');
    expect(record.split('\n')[0]).toBe(JSON.stringify({ agent: 'loner', depth: 0, origin: 'Inbox/start.md' }));
    expect(record).not.toContain('helper');
    await expect(readFile(other, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
