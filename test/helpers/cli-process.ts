// The built CLI as a child process, the way a user runs it: output captured, exit awaited.
import { spawn, type ChildProcess } from 'node:child_process';
import { PATIENCE_MS } from './wait-for.ts';

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Ran>;
}

export function spawnCli(bin: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Ran>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Run to completion; a command still running after `timeoutMs` (default PATIENCE_MS) is killed (and its result shows it). */
export async function runCli(bin: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  const run = spawnCli(bin, args, options);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), options.timeoutMs ?? PATIENCE_MS);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stop a command that may still run and wait until it has exited: `signal` first (a daemon then stops its
 * turns and removes its lock), SIGKILL if it is still there after `timeoutMs`. Its folders can be removed
 * after this without racing its last writes.
 */
export async function stopCli(run: Running, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = PATIENCE_MS): Promise<Ran> {
  if (run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill(signal);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
    try {
      return await run.exited;
    } finally {
      clearTimeout(timer);
    }
  }
  return run.exited;
}
