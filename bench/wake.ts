// Bench 1, wake latency: from an inbound note landing on disk to the runner being called, beside a bare
// chokidar watcher (same options, same process, same files) that only notes when it saw the note.
//
//   A  atomic:   N notes renamed into place, one at a time, the daemon idle in between (default config)
//   B  chunked:  notes written in place in 4 pieces 40 ms apart (an editor): the delay after the last byte,
//                which is quiet_for (5 s by default: a message written in place is taken once quiet)
//   C  what-if:  A and B again with settleMs 0 and quiet_for 0, to show what stands behind the timers
//
// Timestamps inside the daemon come from bench/lib/probe.ts; the vault holds 1,000 generated notes besides.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Daemon } from '../src/daemon/daemon.ts';
import type { DaemonConfig } from '../src/config/operator-config.ts';
import { DEFAULT_CONFIG } from '../src/config/operator-config.ts';
import type { TurnRequest } from '../src/runner/types.ts';
import { bareWatcher } from './lib/bare-watcher.ts';
import { instantRunner, messageOf } from './lib/instant-runner.ts';
import { writeAtomically, writeInChunks } from './lib/note-writes.ts';
import { installProbe, type Probe } from './lib/probe.ts';
import { printTable, progress, show, showRatio, verdict } from './lib/report.ts';
import { generateVault } from './lib/vault-gen.ts';
import { figures, spreadPhase, trace, type PhaseFigures, type PhaseSpread, type Trace } from './wake-trace.ts';

const AGENTS = ['wake-0', 'wake-1', 'wake-2', 'wake-3'];
const CHUNKS = 4;
const CHUNK_GAP_MS = 40;
const TARGET_RATIO = 1.5;

export interface WakeOptions {
  runs: number;
  /** Atomic notes per run. */
  messages: number;
  /** Chunked notes per run. */
  chunked: number;
  /** Notes of each kind in the settleMs 0 what-if. */
  diagnostic: number;
}

export interface WakeResult {
  runs: number;
  settleMs: number;
  /** quiet_for: how long a message written in place waits after its last write. */
  quietForMs: number;
  atomic: PhaseSpread;
  chunked: PhaseSpread;
  /** settleMs 0. */
  noSettle: { atomic: PhaseSpread; chunked: PhaseSpread };
  target: { ratio: number; measured: number; verdict: 'pass' | 'miss' };
}

function messageText(to: string, id: string, bytes: number): string {
  const sentence = `Please look at item ${id} and tell me what you think of it in a few lines. `;
  let body = '';
  while (body.length < bytes) body += sentence;
  return `---\ntags: [agent/message/inbound]\nto: ${to}\n---\n${body.trim()}\nEND-${id}\n`;
}

class TurnWaiter {
  /** `at`: the turn had its prompt; `calledAt`: the runner was called (a real one spawns Claude Code then). */
  readonly calls = new Map<string, { at: number; calledAt: number; request: TurnRequest }>();
  readonly #waiting = new Map<string, () => void>();

  called(request: TurnRequest, at: number, calledAt: number): void {
    const note = messageOf(request);
    if (!this.calls.has(note)) this.calls.set(note, { at, calledAt, request });
    this.#waiting.get(note)?.();
  }

  async wait(note: string, probe: Probe, timeoutMs = 15_000): Promise<void> {
    if (this.calls.has(note)) return;
    const called = new Promise<void>((resolve) => this.#waiting.set(note, resolve));
    const timeout = sleep(timeoutMs).then(() => 'timeout' as const);
    if ((await Promise.race([called, timeout])) === 'timeout') {
      const marks = probe.marks.filter((m) => m.path === note).map((m) => `${m.kind}${m.what ? `:${m.what}` : ''}${m.kind === 'log' && m.fields?.error ? ` (${String(m.fields.error)})` : ''}`);
      throw new Error(`${note} was not run within ${timeoutMs} ms; the daemon did: ${marks.join(', ') || 'nothing'}`);
    }
    this.#waiting.delete(note);
  }
}

/** A daemon on a fresh vault of 1,000 notes and four agents, the bare watcher beside it. */
async function withDaemon<T>(config: Partial<DaemonConfig>, seed: number, body: (ctx: { root: string; probe: Probe; turns: TurnWaiter; bare: Map<string, number[]> }) => Promise<T>): Promise<T> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-wake-'));
  generateVault(root, 1_000, seed);
  for (const name of AGENTS) writeFileSync(path.join(root, 'Agents', `${name}.md`), `---\ntags: [agent/definition]\ndescription: answers the wake bench\n---\nYou answer briefly.\n`);
  const probe = installProbe();
  probe.reset(false);
  const turns = new TurnWaiter();
  const bare = new Map<string, number[]>();
  const watcher = bareWatcher(root, (rel, _event, at) => {
    const seen = bare.get(rel) ?? [];
    seen.push(at);
    bare.set(rel, seen);
  });
  const daemon = new Daemon({ vault: root, runner: instantRunner((request, at, calledAt) => turns.called(request, at, calledAt)), logger: probe.logger(), config });
  try {
    await watcher.ready;
    await daemon.start();
    await daemon.idle();
    probe.reset(true, root);
    return await body({ root, probe, turns, bare });
  } finally {
    await daemon.close();
    await watcher.watcher.close();
    probe.reset(false);
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Until the turn's notes are written and the daemon has looked at each of them (its own writes, dropped
 * as such after their settle time): the next note then lands on an idle daemon. Finer than idle(), which
 * sleeps in whole settle periods.
 */
async function turnSettled(probe: Probe, note: string, since: number): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline) {
    const marks = probe.marks.filter((m) => m.at >= since);
    const done = marks.some((m) => m.kind === 'update' && m.path === note && m.fields?.status === 'done');
    // From when each last rename began: a fast intake may read the note before rename() has returned.
    const lastWrite = new Map<string, number>();
    for (const m of marks) if (m.kind === 'write' && !m.path.startsWith('.') && !path.isAbsolute(m.path)) lastWrite.set(m.path, m.at - m.ms!);
    const seen = [...lastWrite].every(([p, at]) => marks.some((m) => m.kind === 'handle' && m.path === p && m.at > at));
    if (done && seen) return;
    await sleep(5);
  }
  progress(`${note}: the turn's notes were not all looked at again within 5 s; going on`);
}

async function atomicPhase(root: string, probe: Probe, turns: TurnWaiter, bare: Map<string, number[]>, label: string, count: number): Promise<Trace[]> {
  const traces: Trace[] = [];
  for (let i = 0; i < count; i++) {
    const note = `Inbox/${label} ${i}.md`;
    const land = writeAtomically(root, note, messageText(AGENTS[i % AGENTS.length]!, `${label}-${i}`, 300 + ((i * 97) % 1200)));
    await turns.wait(note, probe);
    await turnSettled(probe, note, land);
    const call = turns.calls.get(note)!;
    const window = probe.marks.filter((m) => m.at >= land && m.at <= call.at);
    traces.push({ ...trace(window.filter((m) => m.path === note), window, bare.get(note) ?? [], { ...call, note }, land, land, probe.marks), whole: true, writeMs: 0 });
    // Off the beat of the daemon's timers.
    await sleep(5 + (i % 4) * 5);
  }
  return traces;
}

async function chunkedPhase(root: string, probe: Probe, turns: TurnWaiter, bare: Map<string, number[]>, label: string, count: number): Promise<Trace[]> {
  const traces: Trace[] = [];
  for (let i = 0; i < count; i++) {
    const note = `Inbox/${label} ${i}.md`;
    const id = `${label}-${i}`;
    const { first: firstByte, last } = await writeInChunks(root, note, messageText(AGENTS[i % AGENTS.length]!, id, 2_000), CHUNKS, CHUNK_GAP_MS);
    await turns.wait(note, probe);
    await turnSettled(probe, note, firstByte);
    const call = turns.calls.get(note)!;
    const window = probe.marks.filter((m) => m.at >= firstByte && m.at <= call.at);
    traces.push({
      ...trace(window.filter((m) => m.path === note), window, bare.get(note) ?? [], { ...call, note }, last, firstByte, probe.marks),
      whole: call.request.prompt.includes(`END-${id}`),
      writeMs: last - firstByte,
    });
    await sleep(5 + (i % 4) * 5);
  }
  return traces;
}

export async function wakeBench(options: WakeOptions): Promise<WakeResult> {
  const atomic: PhaseFigures[] = [];
  const chunked: PhaseFigures[] = [];
  const atomicNoSettle: PhaseFigures[] = [];
  const chunkedNoSettle: PhaseFigures[] = [];
  for (let run = 0; run < options.runs; run++) {
    await withDaemon({}, 1_000 + run, async ({ root, probe, turns, bare }) => {
      atomic.push(figures(await atomicPhase(root, probe, turns, bare, `wake ${run}`, options.messages), DEFAULT_CONFIG.settleMs));
      chunked.push(figures(await chunkedPhase(root, probe, turns, bare, `chunked ${run}`, options.chunked), Math.max(DEFAULT_CONFIG.settleMs, DEFAULT_CONFIG.quietForMs)));
    });
    await withDaemon({ settleMs: 0, quietForMs: 0 }, 2_000 + run, async ({ root, probe, turns, bare }) => {
      atomicNoSettle.push(figures(await atomicPhase(root, probe, turns, bare, `nosettle ${run}`, options.diagnostic), 0));
      chunkedNoSettle.push(figures(await chunkedPhase(root, probe, turns, bare, `nosettle chunked ${run}`, options.diagnostic), 0));
    });
    const a = atomic.at(-1)!;
    progress(`wake run ${run + 1}/${options.runs}: p50 ${a.daemon.p50.toFixed(1)} ms (bare ${a.bare.p50.toFixed(2)} ms); settleMs 0: ${atomicNoSettle.at(-1)!.daemon.p50.toFixed(1)} ms`);
  }
  const result: WakeResult = {
    runs: options.runs,
    settleMs: DEFAULT_CONFIG.settleMs,
    quietForMs: DEFAULT_CONFIG.quietForMs,
    atomic: spreadPhase(atomic),
    chunked: spreadPhase(chunked),
    noSettle: { atomic: spreadPhase(atomicNoSettle), chunked: spreadPhase(chunkedNoSettle) },
    target: { ratio: TARGET_RATIO, measured: 0, verdict: 'miss' },
  };
  result.target.measured = result.atomic.ratioP50.median;
  result.target.verdict = verdict(result.target.measured <= TARGET_RATIO);

  printWake(result, options);
  return result;
}

function printWake(r: WakeResult, options: WakeOptions): void {
  const rows = (label: string, p: PhaseSpread, zero: string, quiet = false) => [
    [`${label}: bare chokidar`, show(p.bareP50, 2), show(p.bareP95, 2)],
    [`${label}: Scriptorium, turn has its prompt`, show(p.daemonP50), show(p.daemonP95)],
    [`${label}: ratio`, showRatio(p.ratioP50), showRatio(p.ratioP95)],
    [`${label}: Scriptorium, runner called (Claude Code spawned; prompt after the grace)`, show(p.spawnedP50), show(p.spawnedP95)],
    [`${label}: ratio, runner called`, showRatio(p.spawnedRatioP50), showRatio(p.spawnedRatioP95)],
    ...(quiet ? [[`${label}: ratio to bare + ${Math.max(r.settleMs, r.quietForMs)} ms quiet (quiet_for)`, showRatio(p.ratioQuietP50), showRatio(p.ratioQuietP95)]] : []),
    ...(zero ? [[zero, '', '']] : []),
  ];
  printTable(`Wake latency, ms from the note on disk (chunked: from its last byte) to runner.run(); median (min–max) of ${r.runs} runs`, [
    ['', 'p50', 'p95'],
    ...rows(`atomic ×${options.messages}`, r.atomic, ''),
    ...rows(`chunked ×${options.chunked}`, r.chunked, `  (written in ${CHUNKS} pieces ${CHUNK_GAP_MS} ms apart, ${show(r.chunked.writeMs, 0)} ms first to last byte; turns on a partial note: ${r.chunked.partial})`, true),
    ...rows(`settleMs 0, atomic ×${options.diagnostic}`, r.noSettle.atomic, ''),
    ...rows(`settleMs 0, chunked ×${options.diagnostic}`, r.noSettle.chunked, `  (turns on a partial note: ${r.noSettle.chunked.partial})`),
  ]);
  const stageRow = (label: string, p: PhaseSpread) => [label, show(p.stages.chokidar, 2), show(p.stages.settle), show(p.stages.intake), show(p.stages.toTurn), show(p.stages.toRunner, 2)];
  printTable('Wake latency: where the time goes, median ms per note', [
    ['', 'land → watcher', 'wait to read (settle or quiet_for, or whole-note check)', 'read, parse (`queued` write if the lane is busy)', 'lane, thread, journal', 'request → runner'],
    stageRow(`atomic (settleMs ${r.settleMs})`, r.atomic),
    stageRow(`chunked (from last byte)`, r.chunked),
    stageRow('atomic, settleMs 0', r.noSettle.atomic),
    stageRow('chunked, settleMs 0', r.noSettle.chunked),
  ]);
  const d = r.atomic.toTurnDetail;
  printTable('Wake latency: intake → turn started, finer (atomic, median ms per note); the notes\' `running` and `working` land beside the turn', [
    ['lane, re-read message, read thread note', 'journal `started` (fsync)', 'message `running` written, ms after runner.run()', 'thread `working` written, ms after runner.run()'],
    [show(d.laneAndReads, 2), show(d.journal, 2), show(d.running, 2), show(d.threadWorking, 2)],
  ]);
  console.log(`\n  target: p50 within ${r.target.ratio}× of the bare watcher, to the turn having its prompt: ${r.target.measured.toFixed(1)}× → ${r.target.verdict} (to the runner's call, the spawn: ${r.atomic.spawnedRatioP50.median.toFixed(1)}×)`);

}
