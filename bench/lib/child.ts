import { spawn } from 'node:child_process';

const MARK = 'BENCH_RESULT ';

/**
 * Runs a bench script in a fresh `node` (type stripping, like `npm run bench`) and returns the JSON it
 * reports. Fresh processes keep peak RSS and CPU figures free of whatever the parent has loaded.
 */
export function runChild<T>(script: string, args: string[], options: { nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARK));
      if (code === 0 && line) resolve(JSON.parse(line.slice(MARK.length)) as T);
      else reject(new Error(`${script} ${args.join(' ')} ended with ${signal ?? `code ${code}`} and no result; stderr: ${stderr.trim() || '(empty)'}`));
    });
  });
}

/** The child's side: one marked line on stdout. */
export function reportToParent(result: unknown): void {
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`);
}
