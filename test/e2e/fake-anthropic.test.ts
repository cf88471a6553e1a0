// Checks the test tool itself: the real `claude -p` talks to the fake Messages API the way the
// end-to-end tests rely on (scripted replies, resumed history, tool loop, API errors).
import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  allUserTexts,
  claudeEnv,
  lastUserText,
  startFakeAnthropic,
  type FakeAnthropic,
} from '../helpers/fake-anthropic.ts';

const CLAUDE_BIN = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

interface ResultLine {
  type: 'result';
  subtype: string;
  is_error: boolean;
  result?: string;
  session_id: string;
  api_error_status?: number | null;
}

interface Run {
  code: number | null;
  lines: Array<Record<string, unknown>>;
  result: ResultLine | undefined;
  stderr: string;
}

interface Sandbox {
  fake: FakeAnthropic;
  home: string;
  cwd: string;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'scriptorium-fake-api-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const fake = await startFakeAnthropic();
  cleanups.push(() => fake.close());
  const home = path.join(root, 'home');
  const cwd = path.join(root, 'vault');
  await mkdir(home);
  await mkdir(cwd);
  return { fake, home, cwd };
}

// stdin is ignored: an open stdin pipe costs the CLI a 3 s wait.
function runClaude(box: Sandbox, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLAUDE_BIN, ['-p', ...args, '--output-format', 'stream-json', '--verbose'], {
      cwd: box.cwd,
      env: claudeEnv(box.fake, box.home),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const result = lines.find((line) => line.type === 'result') as ResultLine | undefined;
      resolve({ code, lines, result, stderr });
    });
  });
}

describe('fake Anthropic API with the real claude CLI', () => {
  it('a plain turn ends with the scripted reply as its result', async () => {
    const box = await sandbox();
    box.fake.setHandler(() => ({ text: 'scripted reply from the fake' }));

    const run = await runClaude(box, ['hello fake']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ subtype: 'success', is_error: false, result: 'scripted reply from the fake' });
    const first = box.fake.requests[0];
    expect(first?.path).toBe('/v1/messages');
    expect(first?.body.stream).toBe(true);
    expect(first && lastUserText(first)).toBe('hello fake');
  });

  it('a resumed turn sends the earlier prompt and reply', async () => {
    const box = await sandbox();
    const sessionId = randomUUID();

    const first = await runClaude(box, ['first prompt', '--session-id', sessionId]);
    const second = await runClaude(box, ['second prompt', '--resume', sessionId]);

    expect(first.result?.is_error).toBe(false);
    expect(second.result).toMatchObject({ is_error: false, session_id: sessionId });
    const resumed = box.fake.requests.at(-1);
    expect(resumed && allUserTexts(resumed)).toBe('first prompt\nsecond prompt');
    const assistantTexts = JSON.stringify(resumed?.body.messages.filter((m) => m.role === 'assistant'));
    expect(assistantTexts).toContain(first.result?.result);
  });

  it('a Write tool_use writes the file and the tool_result comes back', async () => {
    const box = await sandbox();
    const target = path.join(box.cwd, 'written.md');
    box.fake.setHandler((req) =>
      allUserTexts(req).includes('File created successfully')
        ? { text: 'wrote it' }
        : { toolUse: { name: 'Write', input: { file_path: target, content: 'from the fake\n' } } },
    );

    const run = await runClaude(box, ['write a note', '--permission-mode', 'acceptEdits']);

    expect(run.result).toMatchObject({ is_error: false, result: 'wrote it' });
    expect(await readFile(target, 'utf8')).toBe('from the fake\n');
    expect(box.fake.requests).toHaveLength(2);
  });

  it('an API 500 ends the turn with is_error true after one request', async () => {
    const box = await sandbox();
    box.fake.setHandler(() => ({ error: { status: 500, type: 'api_error', message: 'scripted outage' } }));

    const run = await runClaude(box, ['this will fail']);

    expect(run.code).toBe(1);
    expect(run.result).toMatchObject({ subtype: 'success', is_error: true, api_error_status: 500 });
    expect(run.result?.result).toContain('scripted outage');
    expect(box.fake.requests).toHaveLength(1);
  });
});
