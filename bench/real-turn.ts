// Bench 5, overhead on a real turn: the real `claude` CLI (node_modules) against the fake Messages API on
// 127.0.0.1, one turn through Scriptorium (default config) against the very same `claude -p` command run
// directly, alternating, N of each per round, several rounds. Through Scriptorium: from the message note landing (atomic rename) to
// its `status: done` written, the reply note already there. Directly: spawn to exit.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../src/daemon/daemon.ts';
import { DEFAULT_CONFIG } from '../src/config/operator-config.ts';
import { claudeArgs, scrubEnv } from '../src/runner/claude-args.ts';
import { createClaudeRunner } from '../src/runner/run-claude.ts';
import type { Runner, TurnRequest } from '../src/runner/types.ts';
import { claudeEnv, startFakeAnthropic } from '../test/helpers/fake-anthropic.ts';
import { writeAtomically } from './lib/note-writes.ts';
import { installProbe, type Probe } from './lib/probe.ts';
import { printTable, progress, show, showRatio, verdict } from './lib/report.ts';
import { percentile, ratios, spread, type Spread } from './lib/stats.ts';

const CLAUDE = fileURLToPath(new URL('../node_modules/.bin/claude', import.meta.url));
const TARGET_OVERHEAD = 0.05;
const WARM_UP = 2;

export interface RealTurnOptions {
  turns: number;
  /** Rounds of `turns` pairs; each round's figures are medians, reported as min / median / max over rounds. */
  runs: number;
}

export interface RealTurnResult {
  turns: number;
  runs: number;
  /** Wall time of one turn, ms: each round's median. */
  direct: Spread;
  scriptorium: Spread;
  /** Scriptorium's time over the direct run's, pair by pair: each round's median ratio. */
  ratio: Spread;
  /** Each round's overhead by its medians (Scriptorium's median over the direct median, less 1). */
  overhead: Spread;
  /** Ms added per turn, and where (each round's medians of each stage). */
  addedMs: Spread;
  stages: { beforeRunner: Spread; runner: Spread; runnerOverDirect: Spread; afterRunner: Spread };
  target: { overhead: number; measured: number; verdict: 'pass' | 'miss' };
}

interface ScriptoriumTurn {
  total: number;
  beforeRunner: number;
  runner: number;
  afterRunner: number;
}

/** The same command the runner would run, spawned plainly; resolves with its wall time. */
function runDirect(request: TurnRequest, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = claudeArgs({ ...request, sessionId: randomUUID(), resume: false });
    const started = performance.now();
    const child = spawn(CLAUDE, args, { cwd: request.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const ok = stdout.split('\n').some((line) => line.startsWith('{') && /"type":"result"/.test(line) && /"is_error":false/.test(line));
      if (code === 0 && ok) resolve(ms);
      else reject(new Error(`claude run directly exited ${code} without a successful result: ${stderr.slice(-500) || stdout.slice(-500)}`));
    });
  });
}

function waitForDone(probe: Probe, note: string, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${note} was not done within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = probe.on((mark) => {
      if (mark.kind !== 'update' || mark.path !== note || !mark.fields?.status) return;
      if (mark.fields.status !== 'done' && mark.fields.status !== 'error') return;
      clearTimeout(timer);
      stop();
      if (mark.fields.status === 'error') reject(new Error(`${note} ended in error: ${String(mark.fields.error)}`));
      else resolve(mark.at);
    });
  });
}

export async function realTurnBench(options: RealTurnOptions): Promise<RealTurnResult> {
  const fake = await startFakeAnthropic();
  const home = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-home-'));
  const vault = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-turn-'));
  mkdirSync(path.join(vault, 'Agents'));
  mkdirSync(path.join(vault, 'Inbox'));
  // Multi-threaded: each message starts a new session, as each direct run does.
  writeFileSync(path.join(vault, 'Agents', 'echo.md'), `---\ntags: [agent/definition]\nmode: multi-threaded\ndescription: answers the overhead bench\n---\nAnswer in one short sentence.\n`);
  const env = claudeEnv(fake, home);
  const real = createClaudeRunner({ claudePath: CLAUDE, env, postResultGraceMs: DEFAULT_CONFIG.postResultGraceMs, killGraceMs: DEFAULT_CONFIG.killGraceMs });
  let lastRequest: TurnRequest | undefined;
  const calls: Array<{ start: number; end: number }> = [];
  const runner: Runner = async (request) => {
    lastRequest = request;
    const start = performance.now();
    const result = await real(request);
    calls.push({ start, end: performance.now() });
    if (!result.ok) throw new Error(`the real claude failed through Scriptorium: ${result.error}`);
    return result;
  };
  const probe = installProbe();
  probe.reset(false, vault);
  const daemon = new Daemon({ vault, runner, logger: probe.logger() });
  const rounds: Array<{ direct: number[]; through: ScriptoriumTurn[] }> = [];
  try {
    await daemon.start();
    const viaScriptorium = async (n: number): Promise<ScriptoriumTurn> => {
      const note = `Inbox/turn ${n}.md`;
      const done = waitForDone(probe, note);
      const land = writeAtomically(vault, note, `---\ntags: [agent/message/inbound]\nto: echo\n---\nWhat is ${n} plus ${n}? Answer with the number only.\n`);
      const doneAt = await done;
      const call = calls.at(-1)!;
      await daemon.idle();
      return { total: doneAt - land, beforeRunner: call.start - land, runner: call.end - call.start, afterRunner: doneAt - call.end };
    };
    for (let n = 0; n < WARM_UP; n++) {
      await viaScriptorium(-1 - n);
      await runDirect(lastRequest!, scrubEnv(env));
    }
    for (let round = 0; round < options.runs; round++) {
      const direct: number[] = [];
      const through: ScriptoriumTurn[] = [];
      for (let n = 0; n < options.turns; n++) {
        // Alternating which goes first keeps a drifting machine from favouring one side.
        if (n % 2 === 0) {
          direct.push(await runDirect(lastRequest!, scrubEnv(env)));
          through.push(await viaScriptorium(round * options.turns + n));
        } else {
          through.push(await viaScriptorium(round * options.turns + n));
          direct.push(await runDirect(lastRequest!, scrubEnv(env)));
        }
      }
      rounds.push({ direct, through });
      const m = percentile(through.map((t) => t.total), 50) / percentile(direct, 50) - 1;
      progress(`real turn: round ${round + 1}/${options.runs}: overhead ${(m * 100).toFixed(1)} % by the medians`);
    }
  } finally {
    await daemon.close();
    await fake.close();
    rmSync(vault, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
  const med = (values: number[]) => percentile(values, 50);
  const perRound = rounds.map(({ direct, through }) => {
    const totals = through.map((t) => t.total);
    const directMedian = med(direct);
    return {
      direct: directMedian,
      scriptorium: med(totals),
      ratio: ratios(totals, direct).median,
      overhead: med(totals) / directMedian - 1,
      addedMs: med(totals) - directMedian,
      beforeRunner: med(through.map((t) => t.beforeRunner)),
      runner: med(through.map((t) => t.runner)),
      runnerOverDirect: med(through.map((t) => t.runner)) - directMedian,
      afterRunner: med(through.map((t) => t.afterRunner)),
    };
  });
  const over = (pick: (r: (typeof perRound)[number]) => number) => spread(perRound.map(pick));
  const overhead = over((r) => r.overhead);
  const result: RealTurnResult = {
    turns: options.turns,
    runs: options.runs,
    direct: over((r) => r.direct),
    scriptorium: over((r) => r.scriptorium),
    ratio: over((r) => r.ratio),
    overhead,
    addedMs: over((r) => r.addedMs),
    stages: {
      beforeRunner: over((r) => r.beforeRunner),
      runner: over((r) => r.runner),
      runnerOverDirect: over((r) => r.runnerOverDirect),
      afterRunner: over((r) => r.afterRunner),
    },
    target: { overhead: TARGET_OVERHEAD, measured: overhead.median, verdict: verdict(overhead.median < TARGET_OVERHEAD) },
  };
  printRealTurn(result);
  return result;
}

function printRealTurn(r: RealTurnResult): void {
  const pct = (x: Spread) => `${(x.median * 100).toFixed(1)} % (${(x.min * 100).toFixed(1)}–${(x.max * 100).toFixed(1)})`;
  printTable(`Overhead on a real turn: real claude CLI against the fake Messages API, ${r.turns} of each per round, alternating; median (min–max) over ${r.runs} rounds of each round's median`, [
    ['', 'ms'],
    ['`claude -p` run directly (spawn → exit)', show(r.direct, 0)],
    ['through Scriptorium (note lands → status: done)', show(r.scriptorium, 0)],
    ['ratio, pair by pair', showRatio(r.ratio)],
    ['overhead by the medians', pct(r.overhead)],
  ]);
  printTable('Overhead on a real turn: where the added time goes, ms (each round\'s median of each stage)', [
    ['stage', 'ms'],
    ['note lands → runner called (intake, thread, journal; the grace runs on beside the spawn)', show(r.stages.beforeRunner, 1)],
    ['runner (spawn → exit, through createClaudeRunner)', show(r.stages.runner, 0)],
    ['  runner minus the direct run', show(r.stages.runnerOverDirect, 0)],
    ['runner returned → status: done (journal, reply and thread, message)', show(r.stages.afterRunner, 1)],
    ['added per turn, in all', show(r.addedMs, 0)],
  ]);
  console.log(`\n  target: overhead under ${(r.target.overhead * 100).toFixed(0)} %: ${(r.target.measured * 100).toFixed(1)} % (median of ${r.runs} rounds) → ${r.target.verdict}`);
}
