// `scriptorium doctor` as a child process on real temp vaults, with the fake `claude` as the program it
// checks. The command runs through a two-line entry that calls doctorCommand, with stdout a pipe (so the
// plain ok/warn/FAIL markers).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/checks.ts';
import { runCli, type Ran } from '../helpers/cli-process.ts';
import { argValue, FAKE_CLAUDE, readInvocations } from '../helpers/fake-claude-env.ts';
import { agentNote, createTempVault, inboundNote, type TempVault } from '../helpers/temp-vault.ts';

const DOCTOR = fileURLToPath(new URL('../../src/cli/doctor.ts', import.meta.url));

let work = '';
let entry = '';
let vault: TempVault;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-doctor-test-'));
  entry = path.join(work, 'doctor-entry.mjs');
  await writeFile(entry, `import { doctorCommand } from ${JSON.stringify(pathToFileURL(DOCTOR).href)};\nprocess.exitCode = await doctorCommand(process.argv.slice(2));\n`);
});

afterAll(() => rm(work, { recursive: true, force: true }));

afterEach(async () => {
  await vault?.cleanup();
});

/** A fresh vault with one valid agent, and the fake's state and log in their own folder. */
async function setUp(files: Record<string, string> = {}): Promise<{ env: NodeJS.ProcessEnv; log: string }> {
  vault = await createTempVault({ 'Agents/helper.md': agentNote({ description: 'Helps.' }), ...files });
  const dir = await mkdtemp(path.join(work, 'case-'));
  const log = path.join(dir, 'invocations.jsonl');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The operator config of this machine must not leak in: none unless a test writes one.
    SCRIPTORIUM_CONFIG: path.join(dir, 'config.yaml'),
    FAKE_CLAUDE_STATE: path.join(dir, 'state'),
    FAKE_CLAUDE_LOG: log,
  };
  delete env.SCRIPTORIUM_VAULT;
  delete env.FAKE_CLAUDE_MODE;
  delete env.FAKE_CLAUDE_REPLY;
  return { env, log };
}

function doctor(args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return runCli(entry, args, { cwd: work, env });
}

/** A pid that no process has any more: a child that has exited and been reaped. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(child.pid!));
  });
}

describe('scriptorium doctor', () => {
  it('exits 0 when all is well, with every section, and labels the one real request', async () => {
    const { env, log } = await setUp();
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE], env);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    for (const title of ['Node', 'Config', 'Claude Code', 'Authentication', 'Vault', 'Daemon']) {
      expect(ran.stdout).toMatch(new RegExp(`^${title}\\b`, 'm'));
    }
    expect(ran.stdout).toContain('Authentication (sends one tiny request to the Anthropic API, costs a fraction of a cent; skip with --offline)');
    expect(ran.stdout).toMatch(/^ {2}ok {4}claude 2\.1\.330 \(Claude Code\) at .*fake-claude\.mjs$/m);
    expect(ran.stdout).toMatch(/^ {2}ok {4}logged in: Claude Code answered a test prompt/m);
    expect(ran.stdout).toContain('not found, so the defaults are in force');
    expect(ran.stdout).toContain('shell (allow_shell): refused');
    expect(ran.stdout).toContain('agents ready to run: helper');
    expect(ran.stdout).toMatch(/^ {2}ok {4}not running$/m);
    expect(ran.stdout).toMatch(/Nothing blocks work\.$/m);

    // One version check and ONE cheap prompt: no tools, one turn, nothing saved, no shell in between.
    const prompts = readInvocations(log).filter((i) => i.argv.includes('-p'));
    expect(prompts).toHaveLength(1);
    const argv = prompts[0]!.argv;
    expect(argValue(argv, '--output-format')).toBe('json');
    expect(argValue(argv, '--max-turns')).toBe('1');
    expect(argValue(argv, '--tools')).toBe('');
    expect(argv).toContain('--no-session-persistence');
    expect(prompts[0]!.prompt).toBe('Reply with the word OK.');
  });

  it('claude missing: exit 1, naming the install command', async () => {
    const { env } = await setUp();
    const emptyPath = await mkdtemp(path.join(work, 'path-'));
    const ran = await doctor([vault.root], { ...env, PATH: emptyPath });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/^ {2}FAIL {2}Claude Code was not found: "claude" is not on PATH\. Install Claude Code with "npm install -g @anthropic-ai\/claude-code"/m);
    expect(ran.stdout).toMatch(/^ {2}skip {2}skipped: Claude Code could not be run/m);
    expect(ran.stdout).toMatch(/1 problem blocks work/);
  });

  it('a --claude path with no program there names the flag to fix', async () => {
    const { env } = await setUp();
    const ran = await doctor([vault.root, '--claude', path.join(work, 'no-such-claude'), '--offline'], env);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(`there is no program at ${path.join(work, 'no-such-claude')} (from --claude)`);
  });

  it.each([
    ['not-logged-in', /FAIL {2}Claude Code is not logged in on this machine: run "claude" once in a terminal and log in/],
    ['api-401', /FAIL {2}the Anthropic API refused Claude Code's credentials \(Invalid API key · Fix external API key\): check the ANTHROPIC_API_KEY/],
    ['api-conn-refused', /FAIL {2}Claude Code could not reach the Anthropic API \(API Error: Connection refused/],
  ])('auth check, %s: exit 1 with what to do', async (mode, expected) => {
    const { env } = await setUp();
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE], { ...env, FAKE_CLAUDE_MODE: mode });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(expected);
  });

  it("a secret in Claude Code's output is not repeated", async () => {
    const { env } = await setUp();
    const secret = 'sk-test-doctor-secret-value-1234';
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE], { ...env, MY_SERVICE_TOKEN: secret, FAKE_CLAUDE_MODE: 'leak-env-fail:MY_SERVICE_TOKEN' });
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('FAIL  Claude Code exited with code 1 without answering a test prompt: Error: request rejected for key [redacted MY_SERVICE_TOKEN].');
    expect(ran.stdout).not.toContain(secret);
  });

  it('an overloaded API is a warning, not a failure: the login could not be confirmed', async () => {
    const { env } = await setUp();
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE], { ...env, FAKE_CLAUDE_MODE: 'api-529' });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/warn {2}the Anthropic API is busy right now .* run "scriptorium doctor" again in a minute/);
  });

  it('--offline sends nothing and shows the check as skipped', async () => {
    const { env, log } = await setUp();
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^ {2}skip {2}skipped \(--offline\)$/m);
    expect(readInvocations(log).filter((i) => i.argv.includes('-p'))).toEqual([]);
  });

  it('lists an invalid definition and a message to an unknown agent by file and field, and exits 1', async () => {
    const { env } = await setUp({
      'Agents/bad.md': agentNote({ max_turns: 'forty', timeout: 'soon' }),
      'Agents/shell.md': agentNote({ tools: ['Read', 'Bash'] }),
      'Inbox/lost.md': inboundNote('nobody', 'Anyone there?'),
      'Inbox/no-to.md': inboundNote(undefined, 'To whom?'),
      'Inbox/draft.md': inboundNote('nobody', 'Not yet.', { status: 'draft' }),
    });
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('FAIL  Agents/bad.md  max_turns: expected a whole number above 0, found "forty"');
    expect(ran.stdout).toContain('FAIL  Agents/bad.md  timeout: expected a duration');
    expect(ran.stdout).toContain('FAIL  Agents/shell.md  tools: Bash is refused: shell access needs allow_shell');
    expect(ran.stdout).toContain('FAIL  Inbox/lost.md  to: no agent named "nobody" (agents: bad, helper, shell)');
    expect(ran.stdout).toContain('FAIL  Inbox/no-to.md  to: is missing: name the agent this message is for');
    // A draft is not run, so it is not a problem.
    expect(ran.stdout).not.toContain('Inbox/draft.md');
    expect(ran.stdout).toContain('agents ready to run: helper');
    expect(ran.stdout).toContain('5 problems block work');
  });

  it('the operator policy in force comes from the config file, and decides what a definition may ask for', async () => {
    const { env } = await setUp({ 'Agents/shell.md': agentNote({ tools: ['Read', 'Bash'] }) });
    await writeFile(
      env.SCRIPTORIUM_CONFIG!,
      'allow_shell: true\nconcurrency: 3\nallowed_notify_urls: [https://hooks.example.com/]\nallowed_permission_modes: [acceptEdits, plan]\n',
    );
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(`ok    ${env.SCRIPTORIUM_CONFIG}  found and read`);
    expect(ran.stdout).toContain('permission modes: acceptEdits, plan');
    expect(ran.stdout).toContain('shell (allow_shell): allowed');
    expect(ran.stdout).toContain('notify URLs: https://hooks.example.com/');
    expect(ran.stdout).toContain('concurrency: 3 turns at once');
    expect(ran.stdout).toContain('approvals: a tool call that needs permission waits for your decision in an Approvals/ note, at most 1440 minutes (approval_timeout)');
    expect(ran.stdout).toContain('agents ready to run: helper, shell');
  });

  it('MCP servers and secrets: names and where each value comes from, what each agent gets; a missing value fails; no value is shown', async () => {
    const { env } = await setUp({ 'Agents/gh.md': agentNote({ mcp: ['github'], env: ['GITHUB_TOKEN'], tools: ['Read', 'mcp__github__*'] }) });
    const secrets = path.join(path.dirname(env.SCRIPTORIUM_CONFIG!), 'secrets.env');
    await writeFile(secrets, 'GITHUB_TOKEN=ghp_from_the_file_0123456789abcdef\n');
    await writeFile(
      env.SCRIPTORIUM_CONFIG!,
      `mcp_servers:\n  github: { command: github-mcp, env: { GH: "\${GITHUB_TOKEN}" }, agents: [gh] }\nsecrets: [GITHUB_TOKEN, DB_PASSWORD]\nsecrets_file: ${JSON.stringify(secrets)}\n`,
    );
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], { ...env, DB_PASSWORD: 'from-the-environment-1234' });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('MCP servers (mcp_servers): github (runs github-mcp, only to gh)');
    expect(ran.stdout).toContain('secrets (names only): GITHUB_TOKEN (from secrets_file, to any agent that chooses it); DB_PASSWORD (from the environment, to any agent that chooses it)');
    expect(ran.stdout).toContain('Agents/gh.md  gh gets MCP servers github; secrets GITHUB_TOKEN (names; values are never shown)');
    expect(ran.stdout).not.toContain('ghp_from_the_file');
    expect(ran.stdout).not.toContain('from-the-environment-1234');

    const missing = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('DB_PASSWORD (NO VALUE, to any agent that chooses it)');
    expect(missing.stdout).toContain('secrets: DB_PASSWORD has no value');
  });

  it('max_message_bytes is shown with the policy; a message or definition over it is a problem by file and field', async () => {
    const filler = (bytes: number) => 'All work and no play makes a long note.\n'.repeat(bytes / 40);
    const { env } = await setUp({
      'Inbox/huge.md': inboundNote('helper', filler(200_000)),
      'Agents/huge.md': agentNote({}, filler(200_000)),
      'Inbox/huge-done.md': inboundNote('helper', filler(200_000), { status: 'done' }),
    });
    await writeFile(env.SCRIPTORIUM_CONFIG!, 'max_message_bytes: 131072\n');
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain('message size limit (max_message_bytes): 131072 bytes; a larger message or definition is refused unread');
    expect(ran.stdout).toMatch(/FAIL {2}Inbox\/huge\.md {2}size: this note is \d+ bytes, over the limit of 131072 bytes set by max_message_bytes in the operator config, so it was not read\. Shorten it, then set status back to ready\./);
    expect(ran.stdout).toMatch(/FAIL {2}Agents\/huge\.md {2}size: this note is \d+ bytes, over the limit of 131072 bytes/);
    // A message that already ran is not a problem, whatever its size.
    expect(ran.stdout).not.toContain('Inbox/huge-done.md');
    expect(ran.stdout).toContain('agents ready to run: helper');
  });

  it('a broken config file: exit 1, naming the file and the key', async () => {
    const { env } = await setUp();
    await writeFile(env.SCRIPTORIUM_CONFIG!, 'concurrency: lots\n');
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(`FAIL  ${env.SCRIPTORIUM_CONFIG}  concurrency expected a whole number from 1, found "lots"`);
    expect(ran.stdout).toContain('"scriptorium start" refuses to run until it is fixed');
  });

  it('--config names the file to read', async () => {
    const { env } = await setUp();
    const other = path.join(work, 'other-config.yaml');
    await writeFile(other, 'unknown_thing: 1\n');
    const ran = await doctor([vault.root, '--config', other, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(`FAIL  ${other}  unknown setting "unknown_thing"`);
  });

  it('warnings alone exit 0: a stale lock, a halt, messages in error, a disabled agent, an unreadable note', async () => {
    const { env } = await setUp({
      'Agents/sleepy.md': agentNote({ enabled: false }),
      'Inbox/waits.md': inboundNote('sleepy', 'When you wake up.'),
      'Inbox/failed-1.md': inboundNote('helper', 'One.', { status: 'error', error: 'Claude Code exited with code 1 without a result.' }),
      'Inbox/failed-2.md': inboundNote('helper', 'Two.', { status: 'error', error: 'The turn took longer than its timeout (15 min) and was stopped.' }),
      'Inbox/broken.md': '---\ntags: [agent/message/inbound\nto: helper\n---\nHello\n',
      'HALT.md': '# Halted\n\nUpgrading the server.\n',
    });
    const pid = await deadPid();
    await mkdir(path.join(vault.root, '.scriptorium'), { recursive: true });
    await writeFile(path.join(vault.root, '.scriptorium', 'daemon.pid'), `${pid}\n`);
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(`warn  .scriptorium/daemon.pid  stale lock from pid ${pid} (a crash); "scriptorium start" will take it over`);
    expect(ran.stdout).toContain('warn  HALT.md  halted: Upgrading the server');
    expect(ran.stdout).toContain('warn  2 messages ended in error');
    expect(ran.stdout).toContain('Inbox/failed-1.md  error: Claude Code exited with code 1 without a result.');
    expect(ran.stdout).toContain('warn  Inbox/waits.md  waits: the agent "sleepy" is disabled');
    expect(ran.stdout).toMatch(/warn {2}Inbox\/broken\.md {2}frontmatter cannot be read, so Scriptorium ignores this note: /);
    expect(ran.stdout).toMatch(/Nothing blocks work, 5 warnings\.$/m);
  });

  it('a live lock holder is reported as the running daemon, with what its status file says', async () => {
    const { env } = await setUp();
    // This test process is alive: as far as the lock can tell, it is the daemon.
    await vault.write('.scriptorium/daemon.pid', `${process.pid}\n`);
    const status = {
      pid: process.pid,
      vault: vault.root,
      startedAt: '2026-11-21T10:00:00+00:00',
      updatedAt: '2026-11-21T10:05:00+00:00',
      halted: false,
      concurrency: 2,
      agents: [{ name: 'helper', path: 'Agents/helper.md', state: 'working', queued: 2, error: undefined, description: undefined, mode: undefined }],
    };
    await vault.write('.scriptorium/status.json', JSON.stringify(status));
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(`ok    daemon running (pid ${process.pid})`);
    expect(ran.stdout).toContain('working: helper; queued: helper (2)');
  });

  it('a vault that is not there: exit 1, the other sections still shown', async () => {
    const { env } = await setUp();
    const missing = path.join(work, 'no-vault-here');
    const ran = await doctor([missing, '--claude', FAKE_CLAUDE, '--offline'], env);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(`FAIL  ${missing} is not a folder. Create a vault with "scriptorium init ${missing}"`);
    expect(ran.stdout).toMatch(/^Daemon\n {2}skip/m);
    expect(ran.stdout).toContain('ok    claude 2.1.330');
  });

  it('--json is the structured report, findings with file and field', async () => {
    const { env } = await setUp({ 'Inbox/lost.md': inboundNote('nobody', 'Anyone there?') });
    const ran = await doctor([vault.root, '--claude', FAKE_CLAUDE, '--json'], env);
    expect(ran.code).toBe(1);
    const report = JSON.parse(ran.stdout) as DoctorReport;
    expect(report.vault).toBe(vault.root);
    expect(report.ok).toBe(false);
    expect(report.blocking).toBe(1);
    expect(report.sections.map((s) => s.id)).toEqual(['node', 'config', 'claude', 'auth', 'vault', 'daemon']);
    const findings = report.sections.flatMap((s) => s.findings);
    expect(findings).toContainEqual({ level: 'fail', file: 'Inbox/lost.md', field: 'to', message: 'no agent named "nobody" (agents: helper)' });
    expect(report.sections.find((s) => s.id === 'auth')!.findings[0]!.level).toBe('ok');
    expect(report.sections.find((s) => s.id === 'auth')!.note).toContain('costs a fraction of a cent');
  });
});
