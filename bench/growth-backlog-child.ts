// One burst of the backlog bench in a fresh process (spawned by growth-backlog.ts, with --expose-gc):
// `count` inbound notes for `agents` agents land at once, written by another process, while
//   daemon  a running Scriptorium daemon whose runner holds every turn until the daemon stops, so all
//           but the running ones stay queued
//   bare    a bare chokidar watcher (the daemon's options) that reads each note as it arrives
// Reports the heap used and RSS the burst added (after a full GC, against the same process just before
// it), and the event loop's longest stall while the notes arrived and were taken in.
//
//   node --expose-gc bench/growth-backlog-child.ts <daemon|bare> <count> <agents> <bodyBytes> [profile]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../src/daemon/daemon.ts';
import type { Runner } from '../src/runner/types.ts';
import { bareWatcher } from './lib/bare-watcher.ts';
import { reportToParent, runChild } from './lib/child.ts';
import { profileWhile, summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { okResult } from './lib/instant-runner.ts';
import { installProbe } from './lib/probe.ts';

export type BacklogVariant = 'daemon' | 'bare';

export interface BacklogFigures {
  variant: BacklogVariant;
  count: number;
  /** Notes taken in: queued by the daemon (the running ones included), read by the bare watcher. */
  taken: number;
  /** Growth over the burst, after a full GC, per note. */
  heapPerNote: number;
  rssPerNote: number;
  /** The event loop's longest stall (ms) from the first note written until all were taken in. */
  maxStallMs: number;
  /**
   * The longest stall counted in the main thread's own CPU time: on a loaded machine a stall may be the
   * process waiting for a core, and this is the part the daemon's own work made.
   */
  maxStallCpuMs: number;
  /** Stalls over 100 ms in that time, and the longest few: when (ms from the first note written), how long, the CPU in it. */
  stallsOver100: number;
  longestAt: Array<{ at: number; ms: number; cpuMs: number }>;
  /** From the first note written until the last was taken in (ms). */
  takeInMs: number;
  profile?: ProfileSummary & { longestBusy: LongestBusy };
}

/** The longest stretch of the profile with no idle sample (the worst stall as the profiler saw it), and what ran in it. */
export interface LongestBusy {
  ms: number;
  /** Self time by function in that stretch (ms). */
  byFunction: Array<{ name: string; ms: number }>;
  /** Time inside src/ functions (callees included) in that stretch (ms). */
  inclusive: Array<{ name: string; ms: number }>;
}

const WRITER = fileURLToPath(new URL('./growth-backlog-writer.ts', import.meta.url));
const QUIET_MS = 500;

const [variant, count, agents, bodyBytes, profiled] = [process.argv[2] as BacklogVariant, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]), process.argv[6] === 'profile'];

function collect(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/** The longest stall, two ways (the larger counts): the delay histogram's max, and a 5 ms interval's longest gap past 5 ms. */
function stallMonitor(): () => Pick<BacklogFigures, 'maxStallMs' | 'maxStallCpuMs' | 'stallsOver100' | 'longestAt'> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const cpu = () => {
    const { user, system } = process.threadCpuUsage();
    return (user + system) / 1000;
  };
  const t0 = performance.now();
  let last = t0;
  let lastCpu = cpu();
  const stalls: Array<{ at: number; ms: number; cpuMs: number }> = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const nowCpu = cpu();
    if (now - last - 5 > 20) stalls.push({ at: Math.round(last - t0), ms: Math.round(now - last - 5), cpuMs: Math.round(nowCpu - lastCpu) });
    last = now;
    lastCpu = nowCpu;
  }, 5);
  return () => {
    clearInterval(timer);
    histogram.disable();
    const longest = stalls.sort((a, b) => b.ms - a.ms);
    return {
      maxStallMs: Math.max(histogram.max / 1e6, longest[0]?.ms ?? 0),
      maxStallCpuMs: Math.max(0, ...stalls.map((s) => s.cpuMs)),
      stallsOver100: stalls.filter((s) => s.ms > 100).length,
      longestAt: longest.slice(0, 5),
    };
  };
}

/** Resolves once `taken()` reaches the count and nothing was handled for QUIET_MS. */
async function untilTaken(taken: () => number, lastActivity: () => number): Promise<void> {
  const deadline = performance.now() + 600_000;
  while (taken() < count || performance.now() - lastActivity() < QUIET_MS) {
    if (performance.now() > deadline) throw new Error(`only ${taken()} of ${count} notes taken in after 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function burst(root: string, taken: () => number, lastActivity: () => number, lastTaken: () => number): Promise<Omit<BacklogFigures, 'variant' | 'count' | 'taken' | 'heapPerNote' | 'rssPerNote'>> {
  const work = async () => {
    const stopMonitor = stallMonitor();
    const t0 = performance.now();
    await runChild(WRITER, [root, String(count), String(agents), String(bodyBytes)]);
    await untilTaken(taken, lastActivity);
    return { ...stopMonitor(), takeInMs: lastTaken() - t0 };
  };
  if (!profiled) return await work();
  const { result, profile } = await profileWhile(work);
  return { ...result, profile: { ...summarizeProfile(profile, 15), longestBusy: longestBusy(profile) } };
}

function longestBusy(profile: CpuProfile, top = 12): LongestBusy {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let best = { from: 0, to: 0, us: 0 };
  let from = 0;
  let us = 0;
  profile.samples.forEach((id, i) => {
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      from = i + 1;
      us = 0;
      return;
    }
    us += profile.timeDeltas[i] ?? 0;
    if (us > best.us) best = { from, to: i, us };
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const where = (url: string) => (url.includes('/node_modules/') ? url.replace(/.*\/node_modules\//, '') : url.replace(/.*\/(src|bench)\//, '$1/'));
  for (let i = best.from; i <= best.to; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const us = profile.timeDeltas[i] ?? 0;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    self.set(name, (self.get(name) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = node.id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (!frame.url.includes('/src/') || frame.url.includes('/node_modules/')) continue;
      const key = `${frame.functionName || '(anonymous)'} ${where(frame.url)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10 }));
  return { ms: Math.round(best.us / 100) / 10, byFunction: lines(self), inclusive: lines(inclusive) };
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-backlog-'));
  mkdirSync(path.join(root, 'Agents'), { recursive: true });
  mkdirSync(path.join(root, 'Inbox'), { recursive: true });
  for (let i = 0; i < agents; i++) {
    const name = `t${String(i).padStart(2, '0')}`;
    writeFileSync(path.join(root, 'Agents', `${name}.md`), `---\ntags: [agent/definition]\ndescription: answers the backlog bench\n---\nAnswer in one line.\n`);
  }
  let taken = 0;
  let lastTaken = 0;
  let lastActivity = performance.now();
  try {
    if (variant === 'bare') {
      const { ready, watcher } = bareWatcher(
        root,
        (vaultPath) => {
          lastActivity = performance.now();
          void readFile(path.join(root, vaultPath), 'utf8').then(() => {
            taken++;
            lastTaken = lastActivity = performance.now();
          });
        },
        { ignoreInitial: true },
      );
      await ready;
      const before = collect();
      const figures = await burst(root, () => taken, () => lastActivity, () => lastTaken);
      const after = collect();
      await watcher.close();
      reportToParent({ variant, count, taken, heapPerNote: (after.heap - before.heap) / count, rssPerNote: (after.rss - before.rss) / count, ...figures } satisfies BacklogFigures);
      return;
    }
    const probe = installProbe();
    probe.reset(false, root);
    probe.on((mark) => {
      if (mark.kind === 'handle' || mark.kind === 'write') lastActivity = performance.now();
      if (mark.kind === 'log' && mark.what === 'message queued') {
        taken++;
        lastTaken = lastActivity = performance.now();
      }
    });
    // Every turn is held until the daemon stops it: the messages behind it stay queued.
    const runner: Runner = (request) =>
      new Promise((resolve) => {
        if (request.signal?.aborted) resolve(okResult(request.sessionId));
        request.signal?.addEventListener('abort', () => resolve(okResult(request.sessionId)), { once: true });
      });
    const daemon = new Daemon({ vault: root, runner, logger: probe.logger() });
    try {
      await daemon.start();
      await daemon.watching();
      await daemon.idle();
      const before = collect();
      const figures = await burst(root, () => taken, () => lastActivity, () => lastTaken);
      const after = collect();
      reportToParent({ variant, count, taken, heapPerNote: (after.heap - before.heap) / count, rssPerNote: (after.rss - before.rss) / count, ...figures } satisfies BacklogFigures);
    } finally {
      await daemon.close({ graceMs: 0 });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
