// `scriptorium logs` as a child process (src/cli/run.ts under Node's type stripping) against log files
// written the way the daemon writes them: the last lines across rotated files, the filters, --json, and
// --follow across a rotation.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, type Ran, type Running } from '../helpers/cli-process.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createLogFile, LOG_FILE } from '../../src/util/log-file.ts';

const RUN = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));

let vault: TempVault;
let file = '';
let env: NodeJS.ProcessEnv = {};
let following: Running | undefined;

beforeEach(async () => {
  vault = await createTempVault();
  file = path.join(vault.root, ...LOG_FILE.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  env = { ...process.env, TZ: 'UTC' };
  delete env.SCRIPTORIUM_VAULT;
});

afterEach(async () => {
  if (following && following.child.exitCode === null && following.child.signalCode === null) {
    following.child.kill('SIGKILL');
    await following.exited;
  }
  following = undefined;
  await vault.cleanup();
});

const logs = (...args: string[]): Promise<Ran> => runCli(RUN, ['logs', vault.root, ...args], { cwd: vault.root, env });
const outLines = (ran: Ran) => ran.stdout.split('\n').filter(Boolean);

/** A record as the daemon's json logger writes it. */
const record = (time: string, level: string, msg: string, fields: Record<string, unknown> = {}) => JSON.stringify({ time, level, msg, ...fields });
const jsonl = (...lines: string[]) => lines.map((l) => l + '\n').join('');

describe('scriptorium logs', () => {
  it('says there is no log yet, and where it would be, when the daemon never ran', async () => {
    const ran = await logs();
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`no log yet at ${file}: the daemon writes it once started (scriptorium start)`);
  });

  it('prints the last N lines across a rotation boundary, oldest first, as people read them', async () => {
    await writeFile(`${file}.2`, jsonl(record('2026-11-21T09:00:01.000Z', 'info', 'one')));
    await writeFile(
      `${file}.1`,
      jsonl(record('2026-11-21T09:00:02.000Z', 'info', 'two'), record('2026-11-21T09:00:03.000Z', 'info', 'three', { agent: 'researcher' })),
    );
    await writeFile(
      file,
      jsonl(record('2026-11-21T09:00:04.000Z', 'warn', 'four', { note: 'Inbox/a b.md' }), record('2026-11-21T09:00:05.000Z', 'error', 'five', { attempt: 2 })),
    );

    const ran = await logs('-n', '3');
    expect(ran.code).toBe(0);
    expect(outLines(ran)).toEqual([
      '2026-11-21 09:00:03 INFO  three  agent=researcher',
      '2026-11-21 09:00:04 WARN  four  note="Inbox/a b.md"',
      '2026-11-21 09:00:05 ERROR five  attempt=2',
    ]);

    const all = await logs();
    expect(outLines(all).map((l) => l.split(/ +/)[3])).toEqual(['one', 'two', 'three', 'four', 'five']);
  });

  it('filters by level and worse, by agent, and by time', async () => {
    const now = Date.now();
    const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
    await writeFile(
      file,
      jsonl(
        record(ago(60), 'warn', 'old warning', { agent: 'researcher' }),
        record(ago(5), 'info', 'message queued', { agent: 'researcher' }),
        record(ago(4), 'debug', 'api request'),
        record(ago(3), 'error', 'turn failed', { agent: 'writer' }),
        record(ago(2), 'warn', 'transient failure; will retry', { agent: 'researcher' }),
      ),
    );
    const messages = (ran: Ran) => ran.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).msg);

    expect(messages(await logs('--json', '--level', 'warn'))).toEqual(['old warning', 'turn failed', 'transient failure; will retry']);
    expect(messages(await logs('--json', '--agent', 'researcher'))).toEqual(['old warning', 'message queued', 'transient failure; will retry']);
    expect(messages(await logs('--json', '--since', '10m'))).toEqual(['message queued', 'api request', 'turn failed', 'transient failure; will retry']);
    expect(messages(await logs('--json', '--since', ago(3)))).toEqual(['turn failed', 'transient failure; will retry']);
    expect(messages(await logs('--json', '--since', '10m', '--level', 'warn', '--agent', 'researcher'))).toEqual(['transient failure; will retry']);
    // -n counts the lines that pass the filters, not the lines read.
    expect(messages(await logs('--json', '--level', 'warn', '-n', '1'))).toEqual(['transient failure; will retry']);
  });

  it('prints the lines as written with --json, and a line that is not JSON as it is', async () => {
    const first = record('2026-11-21T09:00:01.000Z', 'info', 'watching vault', { vault: '/v', agents: 'a, b' });
    await writeFile(file, jsonl(first, 'not json at all', '{"time":"2026-11-21T09:00:02.000Z","lev'));
    const raw = await logs('--json');
    expect(outLines(raw)).toEqual([first, 'not json at all', '{"time":"2026-11-21T09:00:02.000Z","lev']);
    const human = await logs();
    expect(outLines(human)).toEqual(['2026-11-21 09:00:01 INFO  watching vault  vault=/v agents="a, b"', 'not json at all', '{"time":"2026-11-21T09:00:02.000Z","lev']);
  });

  it('refuses a --since or -n it cannot read, saying what it expects', async () => {
    await writeFile(file, jsonl(record('2026-11-21T09:00:01.000Z', 'info', 'one')));
    const since = await logs('--since', 'yesterday');
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since expects a while ago (30s, 10m, 2h, 1d) or an ISO time');
    const lines = await logs('-n', 'many');
    expect(lines.code).toBe(2);
    expect(lines.stderr).toContain('-n expects a whole number from 0, got "many"');
  });

  it('follows new lines as the daemon writes them, through a rotation, until Ctrl-C', async () => {
    // The daemon's own writer, with a size small enough that a few lines rotate the file.
    const daemonLog = createLogFile(file, { maxBytes: 300, keep: 2 });
    const line = (n: number) => record(`2026-11-21T09:00:${String(n).padStart(2, '0')}.000Z`, 'info', `line ${n}`, { agent: 'researcher' });
    for (let n = 1; n <= 3; n++) daemonLog.write(line(n));

    following = spawnCli(RUN, ['logs', vault.root, '-f', '-n', '1', '--json'], { cwd: vault.root, env });
    const seen = () => following!.stdout().split('\n').filter(Boolean);
    await waitFor(() => seen().length === 1, { what: 'the last line before following' });
    expect(seen()).toEqual([line(3)]);

    daemonLog.write(line(4));
    await waitFor(() => seen().includes(line(4)), { what: 'a line written after logs started' });

    // Each line is ~90 bytes: by line 12 the file has rotated more than once under the follower.
    for (let n = 5; n <= 12; n++) daemonLog.write(line(n));
    await waitFor(() => seen().includes(line(12)), { what: 'the lines written across the rotation' });
    expect(await vault.list('.scriptorium/logs')).toEqual([LOG_FILE, `${LOG_FILE}.1`, `${LOG_FILE}.2`]);

    // A line the daemon is still writing shows only once it is whole.
    await appendFile(file, '{"time":"2026-11-21T09:00:13.000Z","level":"info",');
    await appendFile(file, '"msg":"line 13"}\n');
    await waitFor(() => seen().some((l) => l.includes('line 13')), { what: 'a line written in two parts' });

    // A file cut short in place (same file, smaller) is read again from its start.
    await writeFile(file, line(14) + '\n');
    await waitFor(() => seen().includes(line(14)), { what: 'a line in a file cut short' });

    following.child.kill('SIGINT');
    const ran = await following.exited;
    expect(ran.code).toBe(0);
    // Each line once, in order: none lost in the rotations (two of them between two looks), none repeated.
    expect(seen()).toEqual([...[3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(line), '{"time":"2026-11-21T09:00:13.000Z","level":"info","msg":"line 13"}', line(14)]);
  });
});
