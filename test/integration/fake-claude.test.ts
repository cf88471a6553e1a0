// Checks the fake `claude` executable (test/fixtures/fake-claude.mjs) that the other integration tests use.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openGate } from '../helpers/fake-claude-env.ts';
import { PATIENCE_MS } from '../helpers/wait-for.ts';

const FAKE = fileURLToPath(new URL('../fixtures/fake-claude.mjs', import.meta.url));
const STREAM = ['--output-format', 'stream-json', '--verbose'];

type Json = Record<string, any>;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  lines: string[];
  stderr: () => string;
  exited: Promise<Exit>;
  waitForLine(pred: (line: string) => boolean, what?: string): Promise<string>;
  waitForStderr(text: string): Promise<void>;
}

let tmp = '';
let stateDir = '';
let logFile = '';
let cwd = '';
const started: Proc[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-claude-test-'));
  stateDir = path.join(tmp, 'state');
  logFile = path.join(tmp, 'invocations.jsonl');
  cwd = path.join(tmp, 'vault');
  fs.mkdirSync(cwd);
});

afterEach(() => {
  for (const p of started.splice(0)) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // deliberately not inheriting process.env: no CLAUDE*/ANTHROPIC* leaking in from the machine
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmp,
    FAKE_CLAUDE_STATE: stateDir,
    FAKE_CLAUDE_LOG: logFile,
    ...extra,
  };
}

function start(
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string; direct?: boolean } = {},
): Proc {
  const command = opts.direct ? FAKE : process.execPath;
  const argv = opts.direct ? args : [FAKE, ...args];
  const child = spawn(command, argv, {
    cwd,
    env: baseEnv(opts.env),
    stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error('spawn failed');
  const events = new EventEmitter();
  const lines: string[] = [];
  let buf = '';
  let err = '';
  let done: Exit | undefined;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      events.emit('change');
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    err += chunk;
    events.emit('change');
  });
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      if (buf) lines.push(buf); // a last line without newline
      buf = '';
      done = { code, signal };
      events.emit('change');
      resolve(done);
    });
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);

  const waitFor = (check: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const onChange = () => {
        if (check()) {
          events.off('change', onChange);
          resolve();
        } else if (done) {
          events.off('change', onChange);
          reject(new Error(`process exited (${JSON.stringify(done)}) before ${what}; stdout=${lines.join('\n')} stderr=${err}`));
        }
      };
      events.on('change', onChange);
      onChange();
    });

  const proc: Proc = {
    child,
    pid: child.pid,
    lines,
    stderr: () => err,
    exited,
    async waitForLine(pred, what = 'the expected line') {
      let found = '';
      await waitFor(() => {
        const hit = lines.find(pred);
        if (hit !== undefined) found = hit;
        return hit !== undefined;
      }, what);
      return found;
    },
    waitForStderr: (text) => waitFor(() => err.includes(text), `stderr "${text}"`),
  };
  started.push(proc);
  return proc;
}

async function run(args: string[], opts: { env?: Record<string, string>; stdin?: string; direct?: boolean } = {}) {
  const p = start(args, opts);
  const exit = await p.exited;
  const events = p.lines.filter((l) => l.trim()).map((l) => JSON.parse(l) as Json);
  return { ...exit, events, lines: p.lines, stderr: p.stderr(), last: events[events.length - 1] };
}

function readLog(): Json[] {
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);
}

const isType = (type: string, subtype?: string) => (line: string) => {
  try {
    const j = JSON.parse(line) as Json;
    return j.type === type && (subtype === undefined || j.subtype === subtype);
  } catch {
    return false;
  }
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // a killed grandchild may linger as a zombie if nothing reaps it
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilDead(pid: number, timeoutMs = PATIENCE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive`);
    await new Promise((r) => setTimeout(r, 20)); // polling the kernel, not waiting for the fake
  }
}

const UUID = '7670059d-9565-4b72-9999-4847a16f8380';

describe('fake claude: success and output shapes', () => {
  it('replays init → assistant → result/success with this run’s session id, cwd and reply', async () => {
    const r = await run(['-p', 'hello world', ...STREAM]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.events.map((e) => e.type)).toEqual(['system', 'assistant', 'result']);
    const [init, assistant, result] = r.events as [Json, Json, Json];
    expect(init.subtype).toBe('init');
    expect(init.cwd).toBe(fs.realpathSync(cwd));
    expect(init.claude_code_version).toBe('2.1.330');
    const sid = init.session_id as string;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(assistant.session_id).toBe(sid);
    expect(assistant.message.content[0].text).toBe(`fake reply to: hello world (turn 1 of session ${sid})`);
    expect(result).toMatchObject({ subtype: 'success', is_error: false, session_id: sid, num_turns: 1 });
    expect(result.result).toBe(`fake reply to: hello world (turn 1 of session ${sid})`);
    expect(new Set(r.events.map((e) => e.uuid)).size).toBe(3);
  });

  it('runs directly as an executable (shebang) and honours --model/--tools/--permission-mode', async () => {
    const r = await run(
      ['-p', 'hi', ...STREAM, '--model', 'sonnet', '--tools', 'Read,Write', '--permission-mode', 'acceptEdits'],
      { direct: true },
    );
    expect(r.code).toBe(0);
    const init = r.events[0]!;
    expect(init).toMatchObject({ model: 'claude-sonnet-5-5', tools: ['Read', 'Write'], permissionMode: 'acceptEdits' });
    expect(r.last).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
  });

  it('--output-format json prints only the result object; text prints the reply', async () => {
    const j = await run(['-p', 'as json', '--output-format', 'json']);
    expect(j.code).toBe(0);
    expect(j.lines.filter(Boolean)).toHaveLength(1);
    expect(j.last).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
    const t = start(['-p', 'as text']);
    expect((await t.exited).code).toBe(0);
    expect(t.lines[0]).toMatch(/^fake reply to: as text \(turn 1 of session [0-9a-f-]{36}\)$/);
  });

  it('stream-json without --verbose is the real usage error', async () => {
    const r = await run(['-p', 'x', '--output-format', 'stream-json']);
    expect(r.code).toBe(1);
    expect(r.lines.join('')).toBe('');
    expect(r.stderr).toBe('Error: When using --print, --output-format=stream-json requires --verbose\n');
  });

  it('concatenates the prompt argument and stdin, and logs the invocation before output', async () => {
    const r = await run(['-p', 'argprompt', ...STREAM, '--allowedTools', 'Read', 'Write', '--max-turns', '3'], {
      stdin: 'stdin-text\n',
      env: { CLAUDE_CODE_MAX_RETRIES: '2', ANTHROPIC_API_KEY: 'sk-test', CLAUDECODE: '1', OTHER: 'x' },
    });
    expect(r.code).toBe(0);
    expect(r.last!.result).toContain('fake reply to: argprompt\nstdin-text\n');
    const [entry] = readLog();
    expect(entry).toMatchObject({
      pid: expect.any(Number),
      argv: ['-p', 'argprompt', ...STREAM, '--allowedTools', 'Read', 'Write', '--max-turns', '3'],
      cwd: fs.realpathSync(cwd),
      prompt: 'argprompt\nstdin-text\n',
      env: { CLAUDE_CODE_MAX_RETRIES: '2', ANTHROPIC_API_KEY: 'sk-test', CLAUDECODE: '1' },
      stdinWasPipe: true,
      mode: 'success',
      startedAt: expect.any(String),
    });
    expect(Object.keys(entry!.env as Json).sort()).toEqual(['ANTHROPIC_API_KEY', 'CLAUDECODE', 'CLAUDE_CODE_MAX_RETRIES']);
  });
});

describe('fake claude: sessions', () => {
  it('creates with --session-id, resumes with context, rejects reuse and unknown ids', async () => {
    const first = await run(['-p', 'first', ...STREAM, '--session-id', UUID]);
    expect(first.code).toBe(0);
    expect(first.last).toMatchObject({ session_id: UUID, result: `fake reply to: first (turn 1 of session ${UUID})` });

    const again = await run(['-p', 'again', ...STREAM, '--session-id', UUID]);
    expect(again.code).toBe(1);
    expect(again.lines.join('')).toBe('');
    expect(again.stderr).toBe(`Error: Session ID ${UUID} is already in use.\n`);

    const resumed = await run(['-p', 'second', ...STREAM, '--resume', UUID]);
    expect(resumed.code).toBe(0);
    expect(resumed.events[0]).toMatchObject({ type: 'system', subtype: 'init', session_id: UUID });
    expect(resumed.last).toMatchObject({ session_id: UUID, result: `fake reply to: second (turn 2 of session ${UUID})` });

    const unknown = '11111111-2222-4333-8444-555555555555';
    const missing = await run(['-p', 'x', ...STREAM, '--resume', unknown]);
    expect(missing.code).toBe(1);
    expect(missing.events).toHaveLength(1);
    expect(missing.last).toMatchObject({
      type: 'result',
      subtype: 'error_during_execution',
      is_error: true,
      num_turns: 0,
      duration_ms: 0,
      session_id: unknown,
      errors: [`No conversation found with session ID: ${unknown}`],
    });
    expect(missing.stderr).toBe(`No conversation found with session ID: ${unknown}\n`);

    const jsonMissing = await run(['-p', 'x', '--output-format', 'json', '--resume', unknown]);
    expect(jsonMissing.code).toBe(1);
    expect(jsonMissing.lines.join('')).toBe('');
  });

  it('rejects an invalid uuid and --session-id with --resume without --fork-session', async () => {
    const bad = await run(['-p', 'x', ...STREAM, '--session-id', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: Invalid session ID. Must be a valid UUID.\n');
    const both = await run(['-p', 'x', ...STREAM, '--session-id', UUID, '--resume', UUID]);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe('Error: --session-id with --continue or --resume also needs --fork-session.\n');
  });

  it('--fork-session copies the history into a new session id', async () => {
    await run(['-p', 'one', ...STREAM, '--session-id', UUID]);
    const fork = await run(['-p', 'two', ...STREAM, '--resume', UUID, '--fork-session']);
    expect(fork.code).toBe(0);
    const sid = fork.last!.session_id as string;
    expect(sid).not.toBe(UUID);
    expect(fork.last!.result).toBe(`fake reply to: two (turn 2 of session ${sid})`);
  });
});

describe('fake claude: modes', () => {
  it('prompt marker wins over FAKE_CLAUDE_MODE', async () => {
    const r = await run(['-p', 'go [fake:max-budget]', ...STREAM], { env: { FAKE_CLAUDE_MODE: 'fail' } });
    expect(r.code).toBe(1);
    expect(r.last).toMatchObject({ subtype: 'error_max_budget_usd' });
    expect(readLog()[0]!.mode).toBe('max-budget');
    const e = await run(['-p', 'go', ...STREAM], { env: { FAKE_CLAUDE_MODE: 'fail' } });
    expect(e.code).toBe(1);
    expect(e.stderr).toBe('boom\n');
    expect(e.lines.join('')).toBe('');
  });

  it('tool: assistant tool_use Read + user tool_result before the final text', async () => {
    const r = await run(['-p', 'read it [[fake:tool]]', ...STREAM]);
    expect(r.code).toBe(0);
    expect(r.events.map((e) => e.type)).toEqual(['system', 'assistant', 'assistant', 'user', 'assistant', 'result']);
    const toolUse = r.events[2]!.message.content[0];
    expect(toolUse).toMatchObject({ type: 'tool_use', name: 'Read' });
    expect(r.events[1]!.message.id).toBe(r.events[2]!.message.id);
    expect(r.events[3]!.message.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: toolUse.id });
    expect(r.last).toMatchObject({ subtype: 'success', is_error: false, num_turns: 2 });
    expect(r.last!.result).toMatch(/^fake reply to: read it/);
  });

  it('slow: init arrives before the result', async () => {
    // Slow enough that a busy machine, reading the pipe late, still finds the two lines apart.
    const p = start(['-p', 'wait [[fake:slow:2000]]', ...STREAM]);
    await p.waitForLine(isType('system', 'init'), 'init');
    expect(p.lines.some(isType('result'))).toBe(false);
    expect((await p.exited).code).toBe(0);
    expect(JSON.parse(p.lines[p.lines.length - 1]!)).toMatchObject({ type: 'result', subtype: 'success' });
  });

  it('gate: a closed gate holds the result (until the hang cap), and opening it lets the turn finish', async () => {
    const shut = await run(['-p', 'wait [[fake:gate:shut]]', ...STREAM], { env: { FAKE_CLAUDE_HANG_MAX_MS: '300' } });
    expect(shut.code).toBe(124);
    expect(shut.stderr).toContain('gate shut still closed');
    expect(shut.events.map((e) => e.type)).toEqual(['system']);

    const p = start(['-p', 'wait [[fake:gate:g]]', ...STREAM]);
    await p.waitForLine(isType('system', 'init'), 'init');
    await openGate(stateDir, 'g');
    expect((await p.exited).code).toBe(0);
    expect(JSON.parse(p.lines[p.lines.length - 1]!)).toMatchObject({ type: 'result', subtype: 'success' });
  });

  it('exit:<code>, empty, garbage', async () => {
    const ex = await run(['-p', '[[fake:exit:3]]', ...STREAM]);
    expect(ex.code).toBe(3);
    expect(ex.events.map((e) => e.type)).toEqual(['system']);

    const empty = await run(['-p', '[[fake:empty]]', ...STREAM]);
    expect(empty).toMatchObject({ code: 0, stderr: '' });
    expect(empty.lines).toEqual([]);

    const g = start(['-p', '[[fake:garbage]]', ...STREAM]);
    expect((await g.exited).code).toBe(0);
    const parsed = g.lines.map((l) => {
      try {
        return JSON.parse(l) as Json;
      } catch {
        return null;
      }
    });
    expect(parsed[0]).toMatchObject({ type: 'system', subtype: 'init' });
    expect(parsed.filter((x) => x === null).length).toBeGreaterThanOrEqual(3);
    expect(parsed.some((x) => x?.type === 'result')).toBe(false);
  });

  it('max-turns and max-budget replay the error_* results', async () => {
    const t = await run(['-p', '[[fake:max-turns]]', ...STREAM, '--max-turns', '2']);
    expect(t.code).toBe(1);
    expect(t.last).toMatchObject({
      subtype: 'error_max_turns',
      is_error: true,
      terminal_reason: 'max_turns',
      errors: ['Reached maximum number of turns (2)'],
    });
    expect(t.last!.result).toBeUndefined();
    const b = await run(['-p', '[[fake:max-budget]]', ...STREAM, '--max-budget-usd', '0.5']);
    expect(b.code).toBe(1);
    expect(b.last).toMatchObject({
      subtype: 'error_max_budget_usd',
      is_error: true,
      errors: ['Reached maximum budget ($0.5)'],
    });
  });

  it.each([
    ['api-500', 500, 'API Error: 500'],
    ['api-529', 529, 'API Error: 529 Overloaded'],
    ['api-429', 429, 'API Error: Request rejected (429)'],
    ['api-401', 401, 'Invalid API key'],
  ])('%s: synthetic assistant error and result success + is_error', async (mode, status, text) => {
    const r = await run(['-p', `[[fake:${mode}]]`, ...STREAM]);
    expect(r.code).toBe(1);
    const retries = r.events.filter((e) => e.type === 'system' && e.subtype === 'api_retry');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((e) => e.error_status === status)).toBe(true);
    const synthetic = r.events[r.events.length - 2]!;
    expect(synthetic).toMatchObject({ type: 'assistant', is_api_error_message: true, api_error_status: status });
    expect(synthetic.message.model).toBe('<synthetic>');
    expect(r.last).toMatchObject({ type: 'result', subtype: 'success', is_error: true, api_error_status: status });
    expect(r.last!.result).toContain(text);
    const sid = r.events[0]!.session_id as string;
    expect(r.events.every((e) => e.session_id === sid)).toBe(true);
  });

  it('not-logged-in', async () => {
    const r = await run(['-p', '[[fake:not-logged-in]]', ...STREAM]);
    expect(r.code).toBe(1);
    expect(r.events[0]).toMatchObject({ subtype: 'init', apiKeySource: 'none' });
    expect(r.last).toMatchObject({ subtype: 'success', is_error: true, result: 'Not logged in · Please run /login' });
  });

  it('huge-line: an assistant line over 200 KB before the result', async () => {
    const r = await run(['-p', '[[fake:huge-line]]', ...STREAM]);
    expect(r.code).toBe(0);
    expect(Math.max(...r.lines.map((l) => Buffer.byteLength(l)))).toBeGreaterThan(200 * 1024);
    expect(r.last).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
  });
});

describe('fake claude: signals and process groups', () => {
  it('hang + SIGINT → aborted result, exit 0', async () => {
    const p = start(['-p', '[[fake:hang]]', ...STREAM]);
    await p.waitForLine(isType('system', 'init'), 'init');
    process.kill(p.pid, 'SIGINT');
    const exit = await p.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const events = p.lines.map((l) => JSON.parse(l) as Json);
    expect(events.map((e) => e.type)).toEqual(['system', 'user', 'result']);
    expect(events[1]!.message.content[0].text).toBe('[Request interrupted by user]');
    expect(events[2]).toMatchObject({
      subtype: 'error_during_execution',
      is_error: true,
      terminal_reason: 'aborted_streaming',
      session_id: events[0]!.session_id,
    });
  });

  it('hang + SIGTERM → exit 143, no result', async () => {
    const p = start(['-p', '[[fake:hang]]', ...STREAM]);
    await p.waitForLine(isType('system', 'init'), 'init');
    process.kill(p.pid, 'SIGTERM');
    expect(await p.exited).toEqual({ code: 143, signal: null });
    expect(p.lines.filter(isType('result'))).toEqual([]);
  });

  it('hang-ignore-sigint needs SIGKILL', async () => {
    const p = start(['-p', '[[fake:hang-ignore-sigint]]', ...STREAM]);
    await p.waitForLine(isType('system', 'init'), 'init');
    process.kill(p.pid, 'SIGINT');
    await p.waitForStderr('ignoring SIGINT');
    process.kill(p.pid, 'SIGTERM');
    await p.waitForStderr('ignoring SIGTERM');
    expect(isAlive(p.pid)).toBe(true);
    process.kill(-p.pid, 'SIGKILL');
    expect(await p.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('hang-after-result prints a result and keeps running', async () => {
    const p = start(['-p', '[[fake:hang-after-result]]', ...STREAM]);
    const line = await p.waitForLine(isType('result'), 'result');
    expect(JSON.parse(line)).toMatchObject({ subtype: 'success', is_error: false });
    process.kill(p.pid, 'SIGINT');
    await p.waitForStderr('ignoring SIGINT');
    expect(isAlive(p.pid)).toBe(true);
    process.kill(p.pid, 'SIGTERM');
    expect((await p.exited).code).toBe(143);
  });

  it('child: the grandchild survives its parent unless the whole group is killed', async () => {
    const p = start(['-p', '[[fake:child]]', ...STREAM]);
    await p.waitForLine(isType('system', 'init'), 'init');
    const gpid = readLog()[0]!.grandchildPid as number;
    expect(gpid).toEqual(expect.any(Number));
    expect(isAlive(gpid)).toBe(true);
    process.kill(-p.pid, 'SIGKILL');
    await p.exited;
    await waitUntilDead(gpid);
  });
});
