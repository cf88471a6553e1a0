// The built CLI (bin/scriptorium.js → dist/) with schedules and the halt: `fire`, `status` (NEXT RUN,
// LAST RUN, HALTED), `halt` and `resume`, against a `start` process running the fake `claude`. The CLI is
// built once per run, outside the repository's dist/ (test/helpers/built-cli.ts).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli as runCliProcess, spawnCli as spawnCliProcess, stopCli, type Ran, type Running } from '../helpers/cli-process.ts';
import { nextFire } from '../../src/schedule/cron.ts';
import type { ScheduleState } from '../../src/schedule/scheduler.ts';
import { isoLocal } from '../../src/util/clock.ts';
import { parseFrontmatter, type FrontmatterData } from '../../src/vault/frontmatter.ts';
import { FAKE_CLAUDE } from '../helpers/fake-claude-env.ts';
import { agentNote } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const bin = inject('cliBin');

let work = '';
let vault = '';
let env: NodeJS.ProcessEnv = {};
let daemon: Running | undefined;

const spawnCli = (args: string[]): Running => spawnCliProcess(bin, args, { cwd: work, env });
const runCli = (args: string[]): Promise<Ran> => runCliProcess(bin, args, { cwd: work, env });

const fields = async (rel: string): Promise<FrontmatterData> => parseFrontmatter(await readFile(path.join(vault, rel), 'utf8')).data;
const body = async (rel: string): Promise<string> => parseFrontmatter(await readFile(path.join(vault, rel), 'utf8')).body;

async function waitForStatus(rel: string, status: string): Promise<FrontmatterData> {
  let last: FrontmatterData = {};
  await waitFor(async () => {
    last = await fields(rel);
    return last.status === status;
  }, { what: `${rel} status ${status}` }).catch((error: Error) => {
    throw new Error(`${error.message}; last fields ${JSON.stringify(last)}`);
  });
  return last;
}

/** `status` until its output matches. */
async function statusUntil(test: (stdout: string) => boolean, what: string): Promise<string> {
  let last = '';
  await waitFor(async () => {
    const ran = await runCli(['status', vault]);
    last = ran.stdout;
    return ran.code === 0 && test(ran.stdout);
  }, { what, intervalMs: 150 }).catch((error: Error) => {
    throw new Error(`${error.message}\nlast status output:\n${last}`);
  });
  return last;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-cli-schedule-'));
  const config = path.join(work, 'config.yaml');
  await writeFile(config, 'shutdown_grace: 5s\n');
  env = { ...process.env, SCRIPTORIUM_CONFIG: config, FAKE_CLAUDE_STATE: path.join(work, 'fake-state'), FAKE_CLAUDE_LOG: path.join(work, 'fake-log.jsonl') };
  delete env.SCRIPTORIUM_VAULT;
  delete env.FAKE_CLAUDE_MODE;
  delete env.FAKE_CLAUDE_REPLY;

  vault = path.join(work, 'vault');
  await mkdir(path.join(vault, 'Agents'), { recursive: true });
  await mkdir(path.join(vault, 'Inbox'), { recursive: true });
  await mkdir(path.join(vault, '.scriptorium'), { recursive: true });
  await writeFile(path.join(vault, 'Agents', 'digest.md'), agentNote({ description: 'Daily digest.', schedule: '0 9 * * *', tz: 'UTC', task: 'Write the morning digest.' }));
  await writeFile(path.join(vault, 'Agents', 'helper.md'), agentNote({ description: 'No schedule.' }));
  // A previous run saw the schedule long ago and never fired it: this start catches up once (LAST RUN).
  const state: ScheduleState = { 'digest|0 9 * * *': { seenAt: '2020-01-01T00:00:00.000Z' } };
  await writeFile(path.join(vault, '.scriptorium', 'schedule.json'), JSON.stringify(state));

  daemon = spawnCli(['start', vault, '--claude', FAKE_CLAUDE]);
  await waitFor(() => daemon!.stderr().includes('"msg":"watching vault"'), { what: 'the daemon watching the vault' }).catch((error: Error) => {
    throw new Error(`${error.message}\nstderr of start:\n${daemon!.stderr()}`);
  });
});

afterAll(async () => {
  // The daemon stops (and its turns with it) before the folder it writes into is removed.
  if (daemon) await stopCli(daemon, 'SIGINT');
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 10 });
});

describe('scriptorium fire', () => {
  it('fire <agent> writes the message its schedule would write (from: scheduler), which runs to done', async () => {
    const ran = await runCli(['fire', 'digest', '--vault', vault]);
    expect(ran.code, ran.stderr).toBe(0);
    const note = ran.stdout.trim();
    expect(note).toMatch(/^Inbox\/.+ digest - Write the morning digest(-\d+)?\.md$/);
    const done = await waitForStatus(note, 'done');
    expect(done).toMatchObject({ to: 'digest', from: 'scheduler', schedule: '0 9 * * *', fired_by_hand: true });
    expect(typeof done.scheduled_for).toBe('string');
    expect((await body(note)).trim()).toBe('Write the morning digest.');
    const reply = /^\[\[(.+)\]\]$/.exec(String(done.reply))![1]!;
    expect(await body(`${reply}.md`)).toMatch(/^fake reply to: <scriptorium-context>\n/);
  });

  it('fire on an agent without a schedule sends the default task; an unknown agent is a usage error', async () => {
    const ran = await runCli(['fire', 'helper', '--vault', vault]);
    expect(ran.code, ran.stderr).toBe(0);
    const done = await waitForStatus(ran.stdout.trim(), 'done');
    expect(done.from).toBe('scheduler');
    expect(done.schedule).toBeUndefined();
    expect((await body(ran.stdout.trim())).trim()).toBe('Run your scheduled task.');

    const unknown = await runCli(['fire', 'nobody', '--vault', vault]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no agent definition for "nobody"');
    const missing = await runCli(['fire', '--vault', vault]);
    expect(missing.code).toBe(2);
  });
});

describe('scriptorium status with schedules', () => {
  it('shows NEXT RUN and LAST RUN for a scheduled agent (here after the catch-up fire at start)', async () => {
    // The catch-up fire of the start ran.
    const state = await waitFor(async () => {
      const s = JSON.parse(await readFile(path.join(vault, '.scriptorium', 'schedule.json'), 'utf8')) as ScheduleState;
      return s['digest|0 9 * * *']?.lastFire ? s : null;
    }, { what: 'the catch-up fire recorded' });
    const lastFire = new Date(state['digest|0 9 * * *']!.lastFire!);
    const next = nextFire('0 9 * * *', 'UTC', new Date())!;
    const minute = (d: Date) => isoLocal(d).slice(0, 16).replace('T', ' ');

    const out = await statusUntil((s) => /^digest\s+idle/m.test(s) && s.includes(minute(lastFire)), 'digest idle with its last run');
    const lines = out.split('\n');
    const header = lines.find((l) => l.startsWith('AGENT'))!;
    expect(header).toMatch(/^AGENT\s+STATE\s+MODE\s+NEXT RUN\s+LAST RUN\s+DESCRIPTION$/);
    const row = lines.find((l) => l.startsWith('digest '))!;
    expect(row.slice(header.indexOf('NEXT RUN'), header.indexOf('LAST RUN')).trim()).toBe(minute(next));
    expect(row.slice(header.indexOf('LAST RUN'), header.indexOf('DESCRIPTION')).trim()).toBe(minute(lastFire));
    const helper = lines.find((l) => l.startsWith('helper '))!;
    expect(helper.slice(header.indexOf('NEXT RUN'), header.indexOf('DESCRIPTION')).trim()).toBe('');
    expect(out).not.toContain('HALTED');

    const json = JSON.parse((await runCli(['status', vault, '--json'])).stdout) as { agents: Array<{ name: string; nextRun?: string; lastRun?: string }> };
    const digest = json.agents.find((a) => a.name === 'digest')!;
    expect(digest.nextRun).toBe(isoLocal(next));
    expect(digest.lastRun).toBe(isoLocal(lastFire));

    // And the definition note shows the same next run.
    expect((await fields('Agents/digest.md')).next_run).toBe(isoLocal(next));
    // The catch-up message is there, marked as such.
    const inbox = await import('node:fs/promises').then((fs) => fs.readdir(path.join(vault, 'Inbox')));
    const catchUps = [];
    for (const file of inbox) if ((await fields(`Inbox/${file}`)).catch_up === true) catchUps.push(file);
    expect(catchUps).toHaveLength(1);
  });
});

describe('scriptorium halt and resume', () => {
  it('halt "reason": status says HALTED with the reason and a new message waits; resume runs it', async () => {
    const halted = await runCli(['halt', 'Rotating', 'the', 'API', 'key', '--vault', vault]);
    expect(halted.code, halted.stderr).toBe(0);
    expect(halted.stdout).toContain('HALT.md written');
    const out = await statusUntil((s) => s.includes('HALTED'), 'status HALTED');
    expect(out).toMatch(/^HALTED: Rotating the API key \(scriptorium resume to go on\)$/m);
    expect(out).toMatch(/^digest\s+halted/m);

    const sent = await runCli(['send', 'helper', 'Are you halted?', '--vault', vault]);
    expect(sent.code, sent.stderr).toBe(0);
    const note = sent.stdout.trim();
    await waitForStatus(note, 'queued');
    const fired = await runCli(['fire', 'digest', '--vault', vault]);
    expect(fired.code).toBe(0);
    await waitForStatus(fired.stdout.trim(), 'queued');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fields(note)).status).toBe('queued');

    const resumed = await runCli(['resume', '--vault', vault]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('Resumed');
    await waitForStatus(note, 'done');
    await waitForStatus(fired.stdout.trim(), 'done');
    await statusUntil((s) => !s.includes('HALTED') && /^helper\s+idle/m.test(s), 'status no longer halted');
  });
});
