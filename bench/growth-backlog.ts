// Growth bench, a backlog: bursts of N inbound notes for 50 agents land at once (written by another
// process) on a running daemon whose runner holds every turn, so they stay queued. What each queued
// message costs in memory (heap used and RSS after a full GC, against the same process before the burst)
// and the event loop's longest stall while they arrive, beside a bare chokidar watcher that reads each
// note as it arrives. Two bodies: a short message, and a 20 KB one (a queued message must not grow with
// its note). Each burst runs in a fresh process (growth-backlog-child.ts). A stall is also given in the
// main thread's own CPU time during it: on a loaded machine much of a stall is waiting for a core.
import { fileURLToPath } from 'node:url';
import type { BacklogFigures, BacklogVariant } from './growth-backlog-child.ts';
import { runChild } from './lib/child.ts';
import { printTable, progress, show, showRatio } from './lib/report.ts';
import { ratios, spread, type Spread } from './lib/stats.ts';

const CHILD = fileURLToPath(new URL('./growth-backlog-child.ts', import.meta.url));
const AGENTS = 50;

export interface BacklogOptions {
  runs: number;
  sizes: number[];
  quick: boolean;
  /** Message body sizes (bytes); default a short message and 20 KB. */
  bodies?: number[];
  /** Profile one extra daemon burst (the largest size, the first body) and list where the time went. */
  profile?: boolean;
}

interface Figures {
  heapPerNote: Spread;
  rssPerNote: Spread;
  maxStallMs: Spread;
  maxStallCpuMs: Spread;
  stallsOver100: Spread;
  takeInMs: Spread;
}

interface BacklogPoint {
  notes: number;
  bodyBytes: number;
  bare: Figures;
  daemon: Figures;
  /** The daemon's longest stall over the bare watcher's, run by run. */
  stallRatio: Spread;
}

export interface BacklogResult {
  runs: number;
  agents: number;
  points: BacklogPoint[];
  profile?: NonNullable<BacklogFigures['profile']> & { notes: number; bodyBytes: number };
}

function burst(variant: BacklogVariant, notes: number, bodyBytes: number, profile = false): Promise<BacklogFigures> {
  return runChild<BacklogFigures>(CHILD, [variant, String(notes), String(AGENTS), String(bodyBytes), ...(profile ? ['profile'] : [])], { nodeArgs: ['--expose-gc'], timeoutMs: 900_000 });
}

export async function backlogBench(options: BacklogOptions): Promise<BacklogResult> {
  const bodies = options.bodies ?? [100, 20_000];
  const sizes = options.quick ? [Math.min(...options.sizes)] : options.sizes;
  const points: BacklogPoint[] = [];
  for (const bodyBytes of bodies) {
    for (const notes of sizes) {
      const bare: BacklogFigures[] = [];
      const daemon: BacklogFigures[] = [];
      for (let run = 0; run < options.runs; run++) {
        bare.push(await burst('bare', notes, bodyBytes));
        const d = await burst('daemon', notes, bodyBytes);
        if (d.taken !== notes) throw new Error(`the daemon queued ${d.taken} of ${notes} messages`);
        daemon.push(d);
        progress(
          `backlog ${notes} × ${bodyBytes} B run ${run + 1}: daemon ${(d.heapPerNote / 1024).toFixed(1)} KB heap/message, stall ${d.maxStallMs.toFixed(0)} ms (${d.stallsOver100} over 100 ms; longest at ms:length/cpu ${d.longestAt.map((l) => `${l.at}:${l.ms}/${l.cpuMs}`).join(' ')}); bare ${(bare.at(-1)!.heapPerNote / 1024).toFixed(1)} KB, stall ${bare.at(-1)!.maxStallMs.toFixed(0)} ms`,
        );
      }
      const of = (figures: BacklogFigures[]) => ({
        heapPerNote: spread(figures.map((f) => f.heapPerNote / 1024)),
        rssPerNote: spread(figures.map((f) => f.rssPerNote / 1024)),
        maxStallMs: spread(figures.map((f) => f.maxStallMs)),
        maxStallCpuMs: spread(figures.map((f) => f.maxStallCpuMs)),
        stallsOver100: spread(figures.map((f) => f.stallsOver100)),
        takeInMs: spread(figures.map((f) => f.takeInMs)),
      });
      points.push({ notes, bodyBytes, bare: of(bare), daemon: of(daemon), stallRatio: ratios(daemon.map((f) => f.maxStallMs), bare.map((f) => f.maxStallMs)) });
    }
  }
  let profile: BacklogResult['profile'];
  if (options.profile) {
    const notes = Math.max(...sizes);
    progress(`backlog: one profiled daemon burst of ${notes} notes`);
    const figures = await burst('daemon', notes, bodies[0]!, true);
    profile = { notes, bodyBytes: bodies[0]!, ...figures.profile! };
  }
  const result: BacklogResult = { runs: options.runs, agents: AGENTS, points, ...(profile ? { profile } : {}) };
  printBacklog(result);
  return result;
}

function printBacklog(r: BacklogResult): void {
  printTable(`Growth, a backlog: N notes at once for ${r.agents} agents, every turn held (all but 2 stay queued); per note, after a full GC; median (min–max) of ${r.runs} runs`, [
    ['notes × body', 'bare heap KB', 'daemon heap KB', 'bare RSS KB', 'daemon RSS KB', 'bare stall ms', 'daemon stall ms', 'stall ratio', 'bare CPU in stall', 'daemon CPU in stall', 'daemon stalls >100 ms', 'bare take-in ms', 'daemon take-in ms'],
    ...r.points.map((p) => [
      `${p.notes} × ${p.bodyBytes >= 1000 ? `${p.bodyBytes / 1000} KB` : `${p.bodyBytes} B`}`,
      show(p.bare.heapPerNote, 1),
      show(p.daemon.heapPerNote, 1),
      show(p.bare.rssPerNote, 1),
      show(p.daemon.rssPerNote, 1),
      show(p.bare.maxStallMs, 0),
      show(p.daemon.maxStallMs, 0),
      showRatio(p.stallRatio),
      show(p.bare.maxStallCpuMs, 0),
      show(p.daemon.maxStallCpuMs, 0),
      show(p.daemon.stallsOver100, 0),
      show(p.bare.takeInMs, 0),
      show(p.daemon.takeInMs, 0),
    ]),
  ]);
  if (r.profile) {
    const p = r.profile;
    console.log(`\n  profile of a daemon burst of ${p.notes} notes: ${p.wallMs} ms wall, ${p.busyMs} ms on the main thread`);
    printTable('  self time by function', [['function', 'ms', '% of busy'], ...p.byFunction.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
    printTable('  inclusive time in src/ functions', [['function', 'ms', '% of busy'], ...p.inclusive.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
    const b = p.longestBusy;
    // Not a stall: while notes are taken in the loop is rarely idle, and a stretch spans many of its turns.
    console.log(`\n  the longest run of samples with no idle one (the loop busy throughout, not one stall): ${b.ms} ms`);
    printTable('  self time in it', [['function', 'ms'], ...b.byFunction.map((l) => [l.name, l.ms.toFixed(0)])]);
    printTable('  inclusive time in src/ functions in it', [['function', 'ms'], ...b.inclusive.map((l) => [l.name, l.ms.toFixed(0)])]);
  }
}
