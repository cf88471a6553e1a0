// Bench 3, throughput of the machinery: 2,000 inbound notes across 20 agents, delivered at once by another
// process, with a runner that answers instantly (default config). Turns per second and files written per
// turn; baseline: a bare script doing the same number of atomic writes (temp file, fsync, rename) of the
// same sizes, two at a time like the daemon's turns.
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../src/daemon/daemon.ts';
import { DEFAULT_CONFIG } from '../src/config/operator-config.ts';
import { parseFrontmatter } from '../src/vault/frontmatter.ts';
import { runChild } from './lib/child.ts';
import { profileWhile, summarizeProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { instantRunner } from './lib/instant-runner.ts';
import { installProbe, type ProbeMark } from './lib/probe.ts';
import { printTable, progress, show, showRatio } from './lib/report.ts';
import { ratios, spread, sum, type Spread } from './lib/stats.ts';

const WRITER = fileURLToPath(new URL('./throughput-writer.ts', import.meta.url));

export interface ThroughputOptions {
  runs: number;
  messages: number;
  agents: number;
  /** Profile one extra, shorter run in-process and summarize where the main thread's time went. */
  profile?: boolean;
}

/** Per turn, what the daemon did to the disk and how often its intake looked at a note. */
interface PerTurn {
  /** Atomic writes (renames into place), by folder: Inbox (the message), Threads, Outbox (replies), .scriptorium. */
  writes: Record<'message' | 'thread' | 'reply' | 'state' | 'other', number>;
  journalAppends: number;
  otherAppends: number;
  /** Notes read by intake (its own writes coming back through the watcher included). */
  intakeReads: number;
  bytesPerWrite: number;
}

interface RunFigures {
  seconds: number;
  turnsPerSecond: number;
  bareSeconds: number;
  bareTurnsPerSecond: number;
  perTurn: PerTurn;
}

export interface ThroughputResult {
  runs: number;
  messages: number;
  agents: number;
  concurrency: number;
  turnsPerSecond: Spread;
  seconds: Spread;
  bareTurnsPerSecond: Spread;
  bareSeconds: Spread;
  /** Scriptorium's time over the bare writes' time, run by run. */
  ratio: Spread;
  perTurn: PerTurn;
  profile?: ProfileSummary & { messages: number };
}

function category(vaultPath: string): keyof PerTurn['writes'] {
  if (vaultPath.startsWith('Inbox/')) return 'message';
  if (vaultPath.startsWith('Threads/')) return 'thread';
  if (vaultPath.startsWith('Outbox/')) return 'reply';
  if (vaultPath.startsWith('.scriptorium/')) return 'state';
  return 'other';
}

/** The same writes a bare script would do: temp file, fsync, rename; `lanes` at a time. */
async function bareWrites(sizes: number[], lanes: number): Promise<number> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-bare-'));
  mkdirSync(path.join(root, 'tmp'));
  mkdirSync(path.join(root, 'notes'));
  const text = 'x'.repeat(Math.max(...sizes, 1));
  const { open, rename } = await import('node:fs/promises');
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (next < sizes.length) {
        const i = next++;
        const tmp = path.join(root, 'tmp', `${lane}-${i}.tmp`);
        const handle = await open(tmp, 'w');
        try {
          await handle.writeFile(text.slice(0, sizes[i]!), 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, path.join(root, 'notes', `n${i % 500}.md`));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  rmSync(root, { recursive: true, force: true });
  return seconds;
}

async function oneRun(options: ThroughputOptions, run: number, profiled = false): Promise<RunFigures & { profile?: ProfileSummary }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-throughput-'));
  const agents = Array.from({ length: options.agents }, (_, i) => `t${String(i).padStart(2, '0')}`);
  mkdirSync(path.join(root, 'Agents'), { recursive: true });
  mkdirSync(path.join(root, 'Inbox'), { recursive: true });
  for (const name of agents) writeFileSync(path.join(root, 'Agents', `${name}.md`), `---\ntags: [agent/definition]\ndescription: answers the throughput bench\n---\nAnswer in one line.\n`);

  const probe = installProbe();
  probe.reset(false, root);
  probe.sizes = true;
  const writes: ProbeMark[] = [];
  let journalAppends = 0;
  let otherAppends = 0;
  let intakeReads = 0;
  let runnerCalls = 0;
  let done = 0;
  let lastDone = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  let counting = false;
  const stop = probe.on((mark) => {
    if (!counting) return;
    if (mark.kind === 'write') writes.push(mark);
    else if (mark.kind === 'journal') journalAppends++;
    else if (mark.kind === 'append') otherAppends++;
    else if (mark.kind === 'handle') intakeReads++;
    else if (mark.kind === 'update' && mark.path.startsWith('Inbox/') && mark.fields?.status === 'done') {
      done++;
      lastDone = performance.timeOrigin + mark.at;
      if (done === options.messages) allDone();
    }
  });
  const daemon = new Daemon({ vault: root, runner: instantRunner(() => runnerCalls++), logger: probe.logger() });
  try {
    await daemon.start();
    await daemon.idle();
    counting = true;
    const measured = async () => {
      const writer = await runChild<{ firstLand: number; lastLand: number }>(WRITER, [root, String(options.messages), String(options.agents)]);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 300_000).unref());
      if ((await Promise.race([finished, timeout])) === 'timeout') throw new Error(`only ${done} of ${options.messages} messages were done after 5 minutes`);
      return writer;
    };
    let profile: ProfileSummary | undefined;
    let writer: { firstLand: number; lastLand: number };
    if (profiled) {
      const profiling = await profileWhile(measured);
      writer = profiling.result;
      profile = summarizeProfile(profiling.profile);
    } else {
      writer = await measured();
    }
    const seconds = (lastDone - writer.firstLand) / 1000;
    await daemon.idle();
    counting = false;
    if (runnerCalls !== options.messages) throw new Error(`${runnerCalls} runner calls for ${options.messages} messages`);
    const notDone = (await Promise.all(agents.length ? Array.from({ length: options.messages }, (_, i) => readFile(path.join(root, 'Inbox', `m${String(i).padStart(5, '0')}.md`), 'utf8')) : []))
      .filter((raw) => parseFrontmatter(raw).data.status !== 'done').length;
    if (notDone > 0) throw new Error(`${notDone} messages not done at the end`);

    const vaultWrites = writes.filter((w) => !path.isAbsolute(w.path));
    const sizes = vaultWrites.map((w) => w.bytes ?? 0);
    const byCategory = { message: 0, thread: 0, reply: 0, state: 0, other: 0 };
    for (const w of vaultWrites) byCategory[category(w.path)]++;
    const n = options.messages;
    const perTurn: PerTurn = {
      writes: Object.fromEntries(Object.entries(byCategory).map(([k, v]) => [k, v / n])) as PerTurn['writes'],
      journalAppends: journalAppends / n,
      otherAppends: otherAppends / n,
      intakeReads: intakeReads / n,
      bytesPerWrite: sum(sizes) / Math.max(sizes.length, 1),
    };
    const bareSeconds = profiled ? Number.NaN : await bareWrites(sizes, DEFAULT_CONFIG.concurrency);
    progress(`throughput run ${run + 1}${profiled ? ' (profiled)' : ''}: ${(n / seconds).toFixed(0)} turns/s (${seconds.toFixed(1)} s); bare writes ${bareSeconds.toFixed(1)} s`);
    return { seconds, turnsPerSecond: n / seconds, bareSeconds, bareTurnsPerSecond: n / bareSeconds, perTurn, ...(profile ? { profile } : {}) };
  } finally {
    stop();
    probe.sizes = false;
    await daemon.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function throughputBench(options: ThroughputOptions): Promise<ThroughputResult> {
  const figures: RunFigures[] = [];
  for (let run = 0; run < options.runs; run++) figures.push(await oneRun(options, run));
  let profile: ThroughputResult['profile'];
  if (options.profile) {
    const messages = Math.min(options.messages, 500);
    progress(`throughput: one profiled run of ${messages} messages`);
    const profiled = await oneRun({ ...options, messages }, options.runs, true);
    profile = { messages, ...profiled.profile! };
  }
  const of = (pick: (f: RunFigures) => number) => figures.map(pick);
  const avg = (pick: (p: PerTurn) => number) => sum(figures.map((f) => pick(f.perTurn))) / figures.length;
  const result: ThroughputResult = {
    runs: options.runs,
    messages: options.messages,
    agents: options.agents,
    concurrency: DEFAULT_CONFIG.concurrency,
    turnsPerSecond: spread(of((f) => f.turnsPerSecond)),
    seconds: spread(of((f) => f.seconds)),
    bareTurnsPerSecond: spread(of((f) => f.bareTurnsPerSecond)),
    bareSeconds: spread(of((f) => f.bareSeconds)),
    ratio: ratios(of((f) => f.seconds), of((f) => f.bareSeconds)),
    perTurn: {
      writes: {
        message: avg((p) => p.writes.message),
        thread: avg((p) => p.writes.thread),
        reply: avg((p) => p.writes.reply),
        state: avg((p) => p.writes.state),
        other: avg((p) => p.writes.other),
      },
      journalAppends: avg((p) => p.journalAppends),
      otherAppends: avg((p) => p.otherAppends),
      intakeReads: avg((p) => p.intakeReads),
      bytesPerWrite: avg((p) => p.bytesPerWrite),
    },
    ...(profile ? { profile } : {}),
  };
  printThroughput(result);
  return result;
}

function printThroughput(r: ThroughputResult): void {
  const w = r.perTurn.writes;
  const writes = w.message + w.thread + w.reply + w.state + w.other;
  printTable(`Throughput: ${r.messages} messages, ${r.agents} agents, instant runner, concurrency ${r.concurrency}; median (min–max) of ${r.runs} runs`, [
    ['', 'seconds', 'turns/s'],
    ['bare script: same atomic writes', show(r.bareSeconds, 2), show(r.bareTurnsPerSecond, 0)],
    ['Scriptorium: first note landed → last done', show(r.seconds, 2), show(r.turnsPerSecond, 0)],
    ['ratio (time)', showRatio(r.ratio), ''],
  ]);
  printTable('Throughput: per turn (mean over runs)', [
    ['', 'count'],
    ['atomic writes (temp file, fsync, rename)', writes.toFixed(2)],
    ['  the message note', w.message.toFixed(2)],
    ['  the thread note', w.thread.toFixed(2)],
    ['  the reply note', w.reply.toFixed(2)],
    ['  .scriptorium state (status.json)', w.state.toFixed(2)],
    ['journal appends (fsynced)', r.perTurn.journalAppends.toFixed(2)],
    ['other appends (turns.jsonl)', r.perTurn.otherAppends.toFixed(2)],
    ['notes read by intake (own writes included)', r.perTurn.intakeReads.toFixed(2)],
    ['bytes per atomic write', r.perTurn.bytesPerWrite.toFixed(0)],
  ]);
  if (r.profile) {
    const p = r.profile;
    console.log(`\n  profile of a run of ${p.messages} messages: ${p.wallMs} ms wall, ${p.busyMs} ms on the main thread`);
    printTable('  self time by area', [['area', 'ms', '% of busy'], ...p.byArea.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
    printTable('  inclusive time in src/ functions', [['function', 'ms', '% of busy'], ...p.inclusive.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
  }
}
