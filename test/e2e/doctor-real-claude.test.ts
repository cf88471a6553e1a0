// `scriptorium doctor`'s login check with the REAL Claude Code CLI (dev dependency) talking to a fake
// Anthropic Messages API on 127.0.0.1: the one request it sends, and a 401 reported readably.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.ts';
import { claudeEnv, lastUserText, startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.ts';
import { CLAUDE, REAL_CLAUDE_PATIENCE_MS } from '../helpers/real-claude.ts';

const DOCTOR = fileURLToPath(new URL('../../src/cli/doctor.ts', import.meta.url));

let work: string;
let fake: FakeAnthropic;
let env: NodeJS.ProcessEnv;
let entry: string;
let vault: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-doctor-e2e-'));
  fake = await startFakeAnthropic();
  const home = path.join(work, 'home');
  env = { ...claudeEnv(fake, home), SCRIPTORIUM_CONFIG: path.join(work, 'config.yaml') };
  delete env.SCRIPTORIUM_VAULT;
  entry = path.join(work, 'doctor-entry.mjs');
  await writeFile(entry, `import { doctorCommand } from ${JSON.stringify(pathToFileURL(DOCTOR).href)};\nprocess.exitCode = await doctorCommand(process.argv.slice(2));\n`);
  vault = path.join(work, 'vault');
  await mkdir(vault);
  await writeFile(path.join(vault, 'helper.md'), '---\ntags: [agent/definition]\n---\nYou help.\n');
});

afterEach(async () => {
  await fake.close();
  await rm(work, { recursive: true, force: true });
});

const doctor = (args: string[]) => runCli(entry, [vault, '--claude', CLAUDE, ...args], { cwd: work, env, timeoutMs: REAL_CLAUDE_PATIENCE_MS });

describe('doctor with the real Claude Code CLI', () => {
  it('the login check sends one tiny request without tools, and passes', async () => {
    fake.setHandler(() => ({ text: 'OK' }));
    const ran = await doctor([]);
    expect(ran.stdout).toMatch(/^ {2}ok {4}claude 2\.1\.330 \(Claude Code\) at /m);
    expect(ran.stdout).toMatch(/^ {2}ok {4}logged in: Claude Code answered a test prompt \(cost \$0\.\d{4}\)$/m);
    expect(ran.stdout).toMatch(/Nothing blocks work\.$/m);
    expect(ran.code).toBe(0);
    expect(fake.requests).toHaveLength(1);
    expect(lastUserText(fake.requests[0]!)).toContain('Reply with the word OK.');
    expect(fake.requests[0]!.body.tools ?? []).toEqual([]);
  });

  it('a 401 from the API fails the check with what to do', async () => {
    fake.setHandler(() => ({ error: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' } }));
    const ran = await doctor([]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(
      /^ {2}FAIL {2}the Anthropic API refused Claude Code's credentials \(.+\): check the ANTHROPIC_API_KEY Scriptorium runs with, or run "claude" in a terminal and log in again \(\/login\)\.$/m,
    );
  });
});
