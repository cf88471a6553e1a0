import { spawn } from 'node:child_process';

/** The two side effects doctor has beyond the vault, running a program and reading the environment, so tests swap them. */

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started (ENOENT, EACCES, ...). */
  errorCode: string | undefined;
  timedOut: boolean;
}

export type RunProcess = (file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }) => Promise<ProcessOutcome>;

export interface DoctorSeams {
  env: NodeJS.ProcessEnv;
  nodeVersion: string;
  run: RunProcess;
}

export function systemSeams(): DoctorSeams {
  return { env: process.env, nodeVersion: process.versions.node, run: runProcess };
}

/** Spawn without a shell, in its own process group, stdin closed (an open stdin costs Claude Code 3 s). */
export const runProcess: RunProcess = (file, args, options) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let errorCode: string | undefined;
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const done = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      resolve({ exitCode, signal, stdout, stderr, errorCode, timedOut });
    };
    let child;
    try {
      child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true, windowsHide: true });
    } catch (error) {
      errorCode = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      done(null, null);
      return;
    }
    const pid = child.pid;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (pid) process.kill(-pid, signal);
      } catch {
        // Already gone.
      }
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(setTimeout(() => killGroup('SIGKILL'), 2_000));
      }, options.timeoutMs),
    );
    // Output is kept to a size a person could read; a result object is a few KB.
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(0, 1_000_000)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8_192)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      errorCode = error.code ?? error.message;
      if (!pid) done(null, null);
    });
    child.on('close', (exitCode, signal) => done(exitCode, signal));
  });
