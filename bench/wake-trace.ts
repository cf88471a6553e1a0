// The wake bench's bookkeeping: one note's path through the daemon from the probe's marks, and the
// figures of a phase (percentiles, medians per stage) and their spread over runs.
import type { TurnRequest } from '../src/runner/types.ts';
import type { ProbeMark } from './lib/probe.ts';
import { percentile, ratios, spread, type Spread } from './lib/stats.ts';

/** One note's path through the daemon, in ms after it landed (chunked: after its last byte). */
export interface Trace {
  bare: number;
  event: number;
  handle: number;
  queued: number;
  started: number;
  /** The turn had its prompt (after the grace, for a note renamed into place). */
  run: number;
  /** The runner was called: a real one spawns Claude Code here, and writes it the prompt at `run`. */
  spawned: number;
  /** Inside queued → started: the journal's `started` append began and ended, the message's `running`
   * and the thread's `working` updates ended. */
  journalBegin: number;
  journalEnd: number;
  running: number;
  threadWorking: number;
  /** Chunked notes: the turn saw the whole note (its last line is in the prompt). */
  whole: boolean;
  /** Chunked notes: how long the write took, first byte to last. */
  writeMs: number;
}

export interface Percentiles {
  p50: number;
  p95: number;
}

export interface PhaseFigures {
  daemon: Percentiles;
  /** To the runner's call (the spawn), before its prompt. */
  spawned: Percentiles;
  bare: Percentiles;
  /** The bare watcher's last report plus the daemon's quiet period: the floor for any design that waits
   * that long after the last write it saw (a message written in place waits quiet_for). */
  bareQuiet: Percentiles;
  /** Medians per message of each stage: watcher → wait to read → intake → lane/thread/journal → runner. */
  stages: { chokidar: number; settle: number; intake: number; toTurn: number; toRunner: number };
  /** queued → turn started, finer: lane and reads, journal fsync, `running` update, thread `working` update. */
  toTurnDetail: { laneAndReads: number; journal: number; running: number; threadWorking: number };
  partial: number;
  writeMs: number;
}

export interface PhaseSpread {
  daemonP50: Spread;
  daemonP95: Spread;
  spawnedP50: Spread;
  spawnedP95: Spread;
  spawnedRatioP50: Spread;
  spawnedRatioP95: Spread;
  bareP50: Spread;
  bareP95: Spread;
  ratioP50: Spread;
  ratioP95: Spread;
  bareQuietP50: Spread;
  ratioQuietP50: Spread;
  ratioQuietP95: Spread;
  stages: Record<keyof PhaseFigures['stages'], Spread>;
  toTurnDetail: Record<keyof PhaseFigures['toTurnDetail'], Spread>;
  /** Chunked: turns that ran on part of a note (must be 0). */
  partial: number;
  writeMs: Spread;
}

function first(marks: ProbeMark[], test: (m: ProbeMark) => boolean, after: number): number {
  return marks.find((m) => m.at >= after && test(m))?.at ?? Number.NaN;
}

/**
 * Where one note's time went, relative to `from` (landing, or last byte): `marks` are the note's own,
 * `window` every mark while it was handled (the daemon had nothing else to do then).
 */
export function trace(
  marks: ProbeMark[],
  window: ProbeMark[],
  bareTimes: number[],
  run: { at: number; calledAt: number; request: TurnRequest; note: string },
  from: number,
  start: number,
  /** Every mark, the turn's own writes after the runner's call included. */
  allMarks: ProbeMark[] = window,
): Omit<Trace, 'whole' | 'writeMs'> {
  const queued = first(marks, (m) => m.kind === 'log' && m.what === 'message queued', start);
  // The look that took it in: the last before it was queued (a note written in place is looked at after
  // the settle time, found not quiet yet, and looked at again once it is).
  const handle = marks.filter((m) => m.kind === 'handle' && m.at >= start && !(m.at > queued)).at(-1)?.at ?? first(marks, (m) => m.kind === 'handle', start);
  // The watchers' last report before the daemon acted on the note: for a chunked note, its last piece.
  // (The bare watcher also reports the daemon's own writes to the note: only what came before them counts.)
  const event = marks.filter((m) => m.kind === 'event' && m.at >= start && m.at <= handle).at(-1)?.at ?? Number.NaN;
  // The daemon's first rename onto the note (or the runner's call, when its writes come beside the turn):
  // nothing of its own can have been reported before.
  const ownWrite = Math.min(run.at, ...marks.filter((m) => m.kind === 'write' && m.at >= start).map((m) => m.at - m.ms!));
  const bare = bareTimes.filter((t) => t >= start && t < ownWrite).at(-1) ?? Number.NaN;
  const journal = marks.find((m) => m.kind === 'journal' && m.what === 'started' && m.at >= start);
  return {
    bare: bare - from,
    event: event - from,
    handle: handle - from,
    queued: queued - from,
    started: first(marks, (m) => m.kind === 'log' && m.what === 'turn started', start) - from,
    run: run.at - from,
    spawned: run.calledAt - from,
    journalBegin: (journal ? journal.at - journal.ms! : Number.NaN) - from,
    journalEnd: (journal?.at ?? Number.NaN) - from,
    running: first(allMarks, (m) => m.kind === 'update' && m.path === run.note && m.fields?.status === 'running', start) - from,
    threadWorking: first(allMarks, (m) => m.kind === 'update' && m.fields?.status === 'working', start) - from,
  };
}

export function figures(traces: Trace[], settleMs: number): PhaseFigures {
  const p = (values: number[]): Percentiles => ({ p50: percentile(values, 50), p95: percentile(values, 95) });
  const med = (pick: (t: Trace) => number) => percentile(traces.map(pick), 50);
  return {
    daemon: p(traces.map((t) => t.run)),
    spawned: p(traces.map((t) => t.spawned)),
    bare: p(traces.map((t) => t.bare)),
    bareQuiet: p(traces.map((t) => t.bare + settleMs)),
    stages: {
      chokidar: med((t) => t.event),
      settle: med((t) => t.handle - t.event),
      intake: med((t) => t.queued - t.handle),
      toTurn: med((t) => t.started - t.queued),
      toRunner: med((t) => t.run - t.started),
    },
    toTurnDetail: {
      laneAndReads: med((t) => t.journalBegin - t.queued),
      journal: med((t) => t.journalEnd - t.journalBegin),
      // Written beside the turn's start since the runner no longer waits for them: how long after its call.
      running: med((t) => t.running - t.run),
      threadWorking: med((t) => t.threadWorking - t.run),
    },
    partial: traces.filter((t) => !t.whole).length,
    writeMs: med((t) => t.writeMs),
  };
}

export function spreadPhase(perRun: PhaseFigures[]): PhaseSpread {
  const of = (pick: (f: PhaseFigures) => number) => perRun.map(pick);
  const stage = (name: keyof PhaseFigures['stages']) => spread(of((f) => f.stages[name]));
  return {
    daemonP50: spread(of((f) => f.daemon.p50)),
    daemonP95: spread(of((f) => f.daemon.p95)),
    spawnedP50: spread(of((f) => f.spawned.p50)),
    spawnedP95: spread(of((f) => f.spawned.p95)),
    spawnedRatioP50: ratios(of((f) => f.spawned.p50), of((f) => f.bare.p50)),
    spawnedRatioP95: ratios(of((f) => f.spawned.p95), of((f) => f.bare.p95)),
    bareP50: spread(of((f) => f.bare.p50)),
    bareP95: spread(of((f) => f.bare.p95)),
    ratioP50: ratios(of((f) => f.daemon.p50), of((f) => f.bare.p50)),
    ratioP95: ratios(of((f) => f.daemon.p95), of((f) => f.bare.p95)),
    bareQuietP50: spread(of((f) => f.bareQuiet.p50)),
    ratioQuietP50: ratios(of((f) => f.daemon.p50), of((f) => f.bareQuiet.p50)),
    ratioQuietP95: ratios(of((f) => f.daemon.p95), of((f) => f.bareQuiet.p95)),
    stages: { chokidar: stage('chokidar'), settle: stage('settle'), intake: stage('intake'), toTurn: stage('toTurn'), toRunner: stage('toRunner') },
    toTurnDetail: {
      laneAndReads: spread(of((f) => f.toTurnDetail.laneAndReads)),
      journal: spread(of((f) => f.toTurnDetail.journal)),
      running: spread(of((f) => f.toTurnDetail.running)),
      threadWorking: spread(of((f) => f.toTurnDetail.threadWorking)),
    },
    partial: perRun.reduce((a, f) => a + f.partial, 0),
    writeMs: spread(of((f) => f.writeMs)),
  };
}
