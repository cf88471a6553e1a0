import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fake `claude` executable (a `#!/usr/bin/env node` script; see its header for the modes). */
export const FAKE_CLAUDE = fileURLToPath(new URL('../fixtures/fake-claude.mjs', import.meta.url));

/** One line of FAKE_CLAUDE_LOG: what one `claude` invocation was given. */
export interface Invocation {
  pid: number;
  argv: string[];
  cwd: string;
  prompt: string;
  /** The CLAUDE* and ANTHROPIC* variables the process saw. */
  env: Record<string, string>;
  stdinWasPipe: boolean;
  mode: string;
  startedAt: string;
  grandchildPid?: number;
}

export interface FakeClaude {
  dir: string;
  /** FAKE_CLAUDE_STATE: one `<session>.jsonl` per session. */
  stateDir: string;
  /** FAKE_CLAUDE_LOG */
  logFile: string;
  invocations(): Invocation[];
  sessionFile(sessionId: string): string;
  /** Let every turn held at `[[fake:gate:<name>]]` finish (and any later one pass at once). */
  openGate(name: string): Promise<void>;
  /** Put process.env back as it was and remove the folder. */
  restore(): Promise<void>;
}

/**
 * Point the fake at a fresh state folder and log through process.env (the daemon's runner passes its
 * environment on), so sessions never leak between tests. `extraEnv` values of `undefined` unset a variable.
 */
export async function useFakeClaude(extraEnv: Record<string, string | undefined> = {}): Promise<FakeClaude> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-fake-claude-'));
  const stateDir = path.join(dir, 'state');
  const logFile = path.join(dir, 'invocations.jsonl');
  const restoreEnv = setEnv({ FAKE_CLAUDE_STATE: stateDir, FAKE_CLAUDE_LOG: logFile, FAKE_CLAUDE_MODE: undefined, FAKE_CLAUDE_REPLY: undefined, ...extraEnv });
  return {
    dir,
    stateDir,
    logFile,
    invocations: () => readInvocations(logFile),
    sessionFile: (sessionId) => path.join(stateDir, `${sessionId}.jsonl`),
    openGate: (name) => openGate(stateDir, name),
    async restore() {
      restoreEnv();
      // Retried rather than failing with ENOTEMPTY if a late write (a fake's session file) races it.
      await rm(dir, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}

/** Opens the gate `name` for the fakes whose FAKE_CLAUDE_STATE is `stateDir` (see the fake's header). */
export async function openGate(stateDir: string, name: string): Promise<void> {
  await mkdir(path.join(stateDir, 'gates'), { recursive: true });
  await writeFile(path.join(stateDir, 'gates', name), '');
}

/** Set (or, with `undefined`, unset) environment variables; returns a function that puts them back. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(vars)) {
    saved.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

export function readInvocations(logFile: string): Invocation[] {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Invocation);
}

/**
 * The value of a flag in argv, attached (`--model=sonnet`, how Scriptorium passes every value) or after
 * it (`--max-turns 40`); undefined when the flag is absent.
 */
export function argValue(argv: string[], flag: string): string | undefined {
  const attached = argv.find((a) => a.startsWith(`${flag}=`));
  if (attached !== undefined) return attached.slice(flag.length + 1);
  const i = argv.indexOf(flag);
  return i === -1 ? undefined : argv[i + 1];
}

/** Every value of a flag Scriptorium repeats once per value (`--allowedTools=Read --allowedTools=Grep`). */
export function argValues(argv: string[], flag: string): string[] {
  return argv.filter((a) => a.startsWith(`${flag}=`)).map((a) => a.slice(flag.length + 1));
}

/** Whether argv has the flag, in either form. */
export function hasFlag(argv: string[], flag: string): boolean {
  return argv.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/** The message note a turn was for, read from the run-context preamble of its prompt. */
export function messageNoteOf(invocation: Invocation): string | undefined {
  return /^message note: (.+)$/m.exec(invocation.prompt)?.[1];
}

/** Whether a process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after "pid (comm)": Z is a zombie, X is dead.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
