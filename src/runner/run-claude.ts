import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { claudeArgs, scrubEnv } from './claude-args.ts';
import { classifyResult, firstLine, StreamAccumulator, usageOf, writtenPath } from './stream-parser.ts';
import { TurnTimeout } from './turn-timeout.ts';
import { EMPTY_USAGE, type Runner, type TurnRequest, type TurnResult } from './types.ts';

export interface ClaudeRunnerOptions {
  /** The `claude` executable: a name looked up on PATH, or a path. */
  claudePath: string;
  env?: NodeJS.ProcessEnv;
  /** How long a process may linger after its `result` line before its group is ended. */
  postResultGraceMs?: number;
  /** Between SIGINT, SIGTERM and SIGKILL when a turn is stopped. */
  killGraceMs?: number;
}

/** How long a finished process's pipes may stay open before its group is ended. */
const EXIT_DRAIN_MS = 2_000;

/**
 * Process groups of turns still running. If the daemon's process dies anyway (a fatal error, a signal
 * nobody handled), they are sent SIGTERM on the way out instead of running on unwatched.
 */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGTERM');
});

/**
 * The CLI retries an overloaded API 10 times over ~3 minutes by default, silently; the daemon retries
 * transient failures itself, later and visibly. Two quick CLI retries unless the operator chose.
 */
function withRetryDefault(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.CLAUDE_CODE_MAX_RETRIES === undefined ? { ...env, CLAUDE_CODE_MAX_RETRIES: '2' } : env;
}

/** The request's secrets set in, and the secrets it may not have taken out. */
function withTurnEnv(env: NodeJS.ProcessEnv, overlay: TurnRequest['env']): NodeJS.ProcessEnv {
  if (!overlay) return env;
  const out = { ...env };
  for (const [name, value] of Object.entries(overlay)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

function notStarted(error: string): TurnResult {
  return {
    ok: false,
    text: undefined,
    errorKind: 'crashed',
    error,
    transient: false,
    sessionId: undefined,
    costUsd: 0,
    usage: { ...EMPTY_USAGE },
    numTurns: 0,
    durationMs: 0,
    tools: [],
    permissionDenials: [],
    exitCode: null,
    signal: null,
    stderrTail: '',
  };
}

/**
 * Linux caps one argument at 128 KiB; longer prompts go through stdin, as do prompts that come later
 * (`promptLater`). The CLI waits 3 s for the first byte on a pipe, far more than any grace here.
 */
const MAX_PROMPT_ARG_BYTES = 100_000;
const STDERR_TAIL_BYTES = 4096;

/**
 * The real runner: one `claude -p` process per turn, no shell, its own process group so a timeout or
 * shutdown ends everything it started. Never rejects: every way a turn can end becomes a TurnResult.
 */
export function createClaudeRunner(options: ClaudeRunnerOptions): Runner {
  const postResultGraceMs = options.postResultGraceMs ?? 5_000;
  const killGraceMs = options.killGraceMs ?? 5_000;

  return (request: TurnRequest) =>
    new Promise<TurnResult>((resolve) => {
      const started = Date.now();
      const promptOnStdin = request.promptLater !== undefined || Buffer.byteLength(request.prompt) > MAX_PROMPT_ARG_BYTES;
      const env = withRetryDefault(withTurnEnv(scrubEnv(options.env ?? process.env), request.env));
      // A file a tool call names is reported as the file the process really writes: its own HOME and folder.
      const home = env.HOME || os.homedir();
      const report = request.onProgress;
      const accumulator = new StreamAccumulator(report && ((p) => report(p.type === 'write' ? { ...p, file: writtenPath(p.file, request.cwd, home) } : p)));
      let stderr = '';
      let stoppedFor: 'timeout' | 'aborted' | 'after_result' | undefined;
      let spawnError: NodeJS.ErrnoException | undefined;
      const timers: NodeJS.Timeout[] = [];

      if (!existsSync(request.cwd)) {
        resolve(notStarted(`The agent's workspace ${request.cwd} does not exist. Create it, or fix workspace on the agent, then set this message back to ready.`));
        return;
      }
      let child: ChildProcess;
      try {
        child = spawn(options.claudePath, claudeArgs(request, promptOnStdin), {
          cwd: request.cwd,
          env,
          stdio: [promptOnStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
          detached: true,
          shell: false,
          windowsHide: true,
        });
      } catch (error) {
        resolve(notStarted(`Claude Code could not be started (${(error as Error).message}).`));
        return;
      }
      if (child.pid) liveGroups.add(child.pid);
      request.onProgress?.({ type: 'started', pid: child.pid });
      if (promptOnStdin) {
        // The process may be gone before its prompt is written (a failed spawn, a stop): no EPIPE crash.
        child.stdin?.on('error', () => {});
        void (request.promptLater ?? Promise.resolve(request.prompt)).then(
          (prompt) => child.stdin?.end(prompt),
          () => child.stdin?.end(request.prompt),
        );
      }

      // Stops the whole process group: SIGINT first (Claude Code ends the turn cleanly and keeps the
      // session resumable), then SIGTERM, then SIGKILL for a process that ignores both.
      const stop = (reason: NonNullable<typeof stoppedFor>) => {
        if (stoppedFor || child.exitCode !== null || child.signalCode !== null) return;
        stoppedFor = reason;
        const signals: NodeJS.Signals[] = reason === 'after_result' ? ['SIGTERM', 'SIGKILL'] : ['SIGINT', 'SIGTERM', 'SIGKILL'];
        signals.forEach((signal, i) => {
          const send = () => killGroup(child.pid, signal);
          if (i === 0) send();
          else timers.push(setTimeout(send, killGraceMs * i));
        });
      };

      // The turn's own limit, which stands still while a person decides an approval (runner/turn-timeout.ts).
      const timeout = request.timeout ?? new TurnTimeout(request.timeoutMs);
      timeout.start(() => stop('timeout'));
      const onAbort = () => stop('aborted');
      if (request.signal?.aborted) onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });

      const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
      lines.on('line', (line) => {
        const hadResult = accumulator.result !== undefined;
        accumulator.push(line);
        // The result line is the end of the turn; a process that hangs on after it is ended.
        if (!hadResult && accumulator.result) timers.push(setTimeout(() => stop('after_result'), postResultGraceMs));
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError = error;
      });

      // A process that has exited but left something holding its stdout or stderr open (a background
      // child) would keep 'close' from ever coming: end the group and let the pipes go.
      child.on('exit', () => {
        timers.push(
          setTimeout(() => {
            killGroup(child.pid, 'SIGKILL');
            child.stdout?.destroy();
            child.stderr?.destroy();
          }, EXIT_DRAIN_MS),
        );
      });

      let exited = false;
      child.on('close', (exitCode, signal) => {
        if (exited) return;
        exited = true;
        if (child.pid) liveGroups.delete(child.pid);
        timers.forEach(clearTimeout);
        timeout.clear();
        request.signal?.removeEventListener('abort', onAbort);
        // The group may still hold grandchildren (a background shell the turn started).
        if (child.pid) killGroup(child.pid, 'SIGKILL');
        resolve(
          buildResult({ request, accumulator, stderr, exitCode, signal, stoppedFor, spawnError, started, claudePath: options.claudePath }),
        );
      });
    });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

interface Ending {
  request: TurnRequest;
  accumulator: StreamAccumulator;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stoppedFor: 'timeout' | 'aborted' | 'after_result' | undefined;
  spawnError: NodeJS.ErrnoException | undefined;
  started: number;
  claudePath: string;
}

function buildResult(end: Ending): TurnResult {
  const { accumulator, stderr, exitCode, signal } = end;
  const result = accumulator.result;
  const base: TurnResult = {
    ok: false,
    text: undefined,
    errorKind: undefined,
    error: undefined,
    transient: false,
    sessionId: accumulator.sessionId,
    costUsd: result?.total_cost_usd ?? 0,
    usage: usageOf(result),
    numTurns: result?.num_turns ?? 0,
    durationMs: Date.now() - end.started,
    tools: accumulator.tools,
    permissionDenials: (result?.permission_denials ?? []).map((d) => d.tool_name ?? 'unknown'),
    exitCode,
    signal,
    stderrTail: stderr.trim(),
  };
  const failed = (errorKind: TurnResult['errorKind'], error: string, transient = false): TurnResult => ({
    ...base,
    errorKind,
    error,
    transient,
  });

  if (end.spawnError) {
    if (end.spawnError.code === 'ENOENT') {
      const where = /[\\/]/.test(end.claudePath) ? `there is no program at ${end.claudePath}` : `"${end.claudePath}" is not on PATH`;
      return failed(
        'not_installed',
        `Claude Code was not found (${where}). Install it with "npm install -g @anthropic-ai/claude-code", log in once by running "claude", or set claude_path in the Scriptorium config.`,
      );
    }
    return failed('crashed', `Claude Code could not be started (${end.spawnError.code ?? end.spawnError.message}).`);
  }
  if (result) {
    const verdict = classifyResult(result, stderr);
    if (verdict.ok) return { ...base, ok: true, text: result.result ?? '' };
    if (end.stoppedFor === 'timeout') return failed('timeout', timeoutMessage(end.request.timeoutMs));
    if (end.stoppedFor === 'aborted') return failed('aborted', 'The turn was stopped because Scriptorium shut down.');
    return failed(verdict.errorKind, verdict.error ?? 'Claude Code reported an error.', verdict.transient);
  }
  if (end.stoppedFor === 'timeout') return failed('timeout', timeoutMessage(end.request.timeoutMs));
  if (end.stoppedFor === 'aborted') return failed('aborted', 'The turn was stopped because Scriptorium shut down.');
  // Errors before any JSON (bad flags, a session id in use) arrive on stderr only.
  if (/is already in use/i.test(stderr)) return failed('session_in_use', firstLine(stderr));
  if (/No conversation found/i.test(stderr)) return failed('unknown_session', firstLine(stderr));
  if (/^Not logged in/im.test(stderr)) {
    return failed('not_logged_in', 'Claude Code is not logged in on this machine: run `claude` once in a terminal and log in, then set this message back to ready.');
  }
  const detail = stderr.trim() ? `: ${firstLine(stderr.trim().split('\n').slice(-1)[0] ?? stderr)}` : '';
  if (signal) return failed('crashed', `Claude Code was killed by ${signal} before it finished${detail}.`);
  if (exitCode !== 0) return failed('crashed', `Claude Code exited with code ${exitCode} without a result${detail}.`);
  const garbage = accumulator.garbageLines > 0 ? ` (${accumulator.garbageLines} lines of output were not JSON)` : '';
  return failed('no_result', `Claude Code ended without a result${garbage}${detail}.`);
}

function timeoutMessage(ms: number): string {
  const minutes = ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
  return `The turn took longer than its timeout (${minutes}) and was stopped. Raise timeout on the agent if it needs longer.`;
}
