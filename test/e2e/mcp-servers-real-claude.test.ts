// An operator's own MCP server and a secret, chosen by one agent: the real Claude Code CLI starts the real
// stdio server (test/fixtures/mcp-env-server.mjs) from the one --mcp-config, the model calls its tool, and
// the secret reaches the server while staying out of every note, log line and state file.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/operator-config.ts';
import { lastToolResult, type RecordedRequest } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';

const SERVER = fileURLToPath(new URL('../fixtures/mcp-env-server.mjs', import.meta.url));
const ECHO_VALUE = 'echo-secret-value-8c41f2';
const OTHER_VALUE = 'other-secret-value-5e0d93';

let v: RealClaudeVault | undefined;
let outside: string;
afterEach(async () => {
  await v?.close();
  v = undefined;
  await rm(outside, { recursive: true, force: true });
});

/** Every file under the vault, dot-folders included (the logs, the journal, the write records). */
async function everyFile(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await everyFile(full)));
    else if (entry.isFile()) out.push({ file: full, text: await readFile(full, 'utf8') });
  }
  return out;
}

const toolResultText = (req: RecordedRequest): string => lastToolResult(req)?.text ?? '';

describe('an operator MCP server and a secret, chosen by a definition', () => {
  it('the agent calls the server\'s tool; the server gets the chosen secret, not the others; no value is written anywhere', async () => {
    outside = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-e2e-secrets-'));
    const secretsFile = path.join(outside, 'secrets.env');
    await writeFile(secretsFile, `ECHO_TOKEN=${ECHO_VALUE}\nOTHER_TOKEN=${OTHER_VALUE}\n`);
    const configFile = path.join(outside, 'config.yaml');
    await writeFile(
      configFile,
      [
        'mcp_servers:',
        '  envsrv:',
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(SERVER)}]`,
        '    env: { SERVER_SIDE_TOKEN: "${ECHO_TOKEN}" }',
        'secrets: [ECHO_TOKEN, OTHER_TOKEN]',
        `secrets_file: ${JSON.stringify(secretsFile)}`,
      ].join('\n'),
    );
    const config = loadConfig(configFile);
    v = await startRealClaudeVault(
      {
        'Agents/helper.md': '---\ntags: [agent/definition]\nmcp: [envsrv]\nenv: [ECHO_TOKEN]\ntools: [Read, "mcp__envsrv__*"]\n---\nYou are HELPER.\n',
        // A second agent: the daemon starts only the servers each turn's agent chose.
        'Agents/plain.md': '---\ntags: [agent/definition]\n---\nYou are PLAIN.\n',
      },
      // OTHER_TOKEN is also in the environment the daemon hands its turns: as a configured secret that
      // this agent did not choose, it must be taken out.
      { config, env: { OTHER_TOKEN: OTHER_VALUE } },
    );
    v.fake.setHandler((req) => {
      const result = toolResultText(req);
      if (result) return { text: `The server said:\n${result}` };
      return { toolUse: { name: 'mcp__envsrv__env', input: { names: ['SERVER_SIDE_TOKEN', 'ECHO_TOKEN', 'OTHER_TOKEN'] } } };
    });
    await v.write('Inbox/ask.md', '---\ntags: [agent/message/inbound]\nto: helper\n---\nWhat does the server see?\n');
    const done = await v.waitForStatus('Inbox/ask.md', ['done', 'error']);
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('done');

    // The tool really ran in the server Claude Code started, with the chosen secret only.
    const answered = v.fake.requests.find((r) => toolResultText(r) !== '');
    expect(answered && toolResultText(answered)).toBe(`SERVER_SIDE_TOKEN=${ECHO_VALUE}\nECHO_TOKEN=${ECHO_VALUE}\nOTHER_TOKEN=(unset)`);
    const tools = (v.fake.requests[0]!.body.tools ?? []).map((t) => t.name);
    expect(tools).toContain('mcp__envsrv__env');

    // The model repeated the value: the reply says it redacted, by name, and so does every other file.
    const reply = await v.note(String(done.reply).replace(/^\[\[|\]\]$/g, '') + '.md');
    expect(reply.body).toContain('SERVER_SIDE_TOKEN=[redacted ECHO_TOKEN]');
    for (const { file, text } of await everyFile(v.vault)) {
      expect(text.includes(ECHO_VALUE) || text.includes(OTHER_VALUE), file).toBe(false);
    }
    expect(JSON.stringify(v.logger.lines)).not.toContain(ECHO_VALUE);
  });
});
