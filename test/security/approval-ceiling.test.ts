// Attack: an agent (its prompt injected) reads a file outside its folders (the operator's secrets_file,
// an SSH key, Claude Code's own credentials) and copies it into a note. Its read tools work in its
// folders without asking; anything else is a call that needs permission, which the operator's ceiling
// refuses at once, never putting it to a person. That holds however the path is spelt: absolute, with
// `~/` (Claude Code's expansion of the home folder), with spaces around it, or as Grep's and Glob's `path`.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastToolResult, type RecordedRequest } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';

let v: RealClaudeVault | undefined;
afterEach(async () => {
  await v?.close();
  v = undefined;
});

const READER = '---\ntags: [agent/definition]\ntools: [Read, Write, Glob, Grep]\n---\nYou are READER.\n';

async function approvalNotes(vault: string): Promise<string[]> {
  return await readdir(path.join(vault, 'Approvals')).catch(() => [] as string[]);
}

/** One tool call, then the model reports what it got; returns the reply note's body. */
async function callOnce(tool: string, input: (home: string, vault: string) => Record<string, unknown>, files: Record<string, string> = {}): Promise<string> {
  // A call wrongly put to a person is denied after a few seconds, so the test fails rather than waits.
  v = await startRealClaudeVault({ 'Agents/reader.md': READER, ...files }, { config: { approvalTimeoutMs: 3_000 } });
  await writeFile(path.join(v.home, 'secret.txt'), 'HOME SECRET\n');
  const { home, vault } = v;
  v.fake.setHandler((req) => {
    const result = lastToolResult(req);
    if (result) return { text: `${result.isError ? 'REFUSED' : 'GOT'}: ${result.text}` };
    return { toolUse: { name: tool, input: input(home, vault) } };
  });
  await v.write('Inbox/peek.md', '---\ntags: [agent/message/inbound]\nto: reader\n---\nLook.\n');
  const done = await v.waitForStatus('Inbox/peek.md', ['done', 'error']);
  expect(await approvalNotes(v.vault)).toEqual([]);
  return (await v.note(`${String(done.reply).slice(2, -2)}.md`)).body;
}

describe('reading outside the folders an agent works in', () => {
  it('Read of an absolute path outside: refused by the operator policy', async () => {
    const body = await callOnce('Read', (home) => ({ file_path: path.join(home, 'secret.txt') }));
    expect(body).toMatch(/^REFUSED: /);
    expect(body).toContain("Refused by the operator's policy");
    expect(body).not.toContain('HOME SECRET');
  });

  it('Read of ~/…: the home folder, refused', async () => {
    const body = await callOnce('Read', () => ({ file_path: '~/secret.txt' }));
    expect(body).toMatch(/^REFUSED: /);
    expect(body).not.toContain('HOME SECRET');
  });

  it('Read of a path with a space before it: refused', async () => {
    const body = await callOnce('Read', (home) => ({ file_path: ` ${path.join(home, 'secret.txt')}` }));
    expect(body).toMatch(/^REFUSED: /);
    expect(body).not.toContain('HOME SECRET');
  });

  it('Grep with path outside: refused', async () => {
    const body = await callOnce('Grep', (home) => ({ pattern: 'SECRET', path: home, output_mode: 'content' }));
    expect(body).toMatch(/^REFUSED: /);
    expect(body).not.toContain('HOME SECRET');
  });

  it('Glob with an absolute pattern outside and no path: refused, not put to a person', async () => {
    const body = await callOnce('Glob', (home) => ({ pattern: `${home}/*.txt` }));
    expect(body).toMatch(/^REFUSED: /);
    expect(body).toContain("Refused by the operator's policy");
  });

  it('Read of a note in the vault still needs no one', async () => {
    const body = await callOnce('Read', (_home, vault) => ({ file_path: path.join(vault, 'Notes', 'plain.md') }), { 'Notes/plain.md': 'VAULT TEXT\n' });
    expect(body).toMatch(/^GOT: /);
    expect(body).toContain('VAULT TEXT');
  });
});
