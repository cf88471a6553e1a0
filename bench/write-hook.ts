// Bench 6, the cost of knowing who wrote a note: each turn carries Scriptorium's PreToolUse hook
// (turns/turn-writes.ts), which runs `scriptorium hook` before every Write/Edit. The real `claude` CLI
// against the fake Messages API, a turn that makes `writes` Write calls, run with the hook and without it
// (the same argv less `--settings`), alternating, N of each per round. What the hook adds per write is
// the difference of the medians over the number of writes.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { claudeArgs } from '../src/runner/claude-args.ts';
import type { TurnRequest } from '../src/runner/types.ts';
import type { TurnWrites as TurnWritesType } from '../src/turns/turn-writes.ts';
import { systemClock } from '../src/util/clock.ts';
import { claudeEnv, lastUserText, startFakeAnthropic } from '../test/helpers/fake-anthropic.ts';
import { printTable, progress, show } from './lib/report.ts';
import { percentile, spread, type Spread } from './lib/stats.ts';

// The built package, as `scriptorium start` runs it (the hook it names is then plain JavaScript, which
// Node starts about twice as fast as TypeScript); the source when nothing is built.
const BUILT = new URL('../dist/turns/turn-writes.js', import.meta.url);
const { TurnWrites } = (existsSync(BUILT) ? await import(BUILT.href) : await import('../src/turns/turn-writes.ts')) as { TurnWrites: typeof TurnWritesType };

const CLAUDE = fileURLToPath(new URL('../node_modules/.bin/claude', import.meta.url));

export interface WriteHookOptions {
  turns: number;
  runs: number;
  /** Write calls per turn. */
  writes: number;
}

export interface WriteHookResult {
  turns: number;
  runs: number;
  writes: number;
  /** Wall time of one turn, ms: each round's median. */
  without: Spread;
  withHook: Spread;
  /** Ms the hook adds to one Write call (each round: median difference over `writes`). */
  perWrite: Spread;
  /** Every write of every hooked turn was recorded, and attributed. */
  recorded: boolean;
  /** Which hook ran: the built package's (dist/) or the source's. */
  hook: 'dist' | 'src';
}

export async function writeHookBench(options: WriteHookOptions): Promise<WriteHookResult> {
  const vault = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-hook-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-home-'));
  let turn = 0;
  // Each turn: `writes` Write calls, one per request, then a text answer.
  const fake = await startFakeAnthropic({
    handler: (req) => {
      const done = req.body.messages.filter((m) => m.role === 'assistant').length;
      const id = lastUserText(req);
      return done < options.writes ? { toolUse: { name: 'Write', input: { file_path: path.join(vault, `${id}-${done}.md`), content: 'x\n' } } } : { text: 'ok' };
    },
  });
  const env = claudeEnv(fake, home);
  const writes = new TurnWrites(vault, systemClock);
  const base: TurnRequest = {
    agent: 'bench',
    prompt: '',
    systemPrompt: '',
    sessionId: '',
    resume: false,
    cwd: vault,
    model: undefined,
    tools: ['Write'],
    allowedTools: [],
    disallowedTools: [],
    permissionMode: 'acceptEdits',
    maxTurns: options.writes + 2,
    maxBudgetUsd: 1,
    timeoutMs: 60_000,
    addDirs: [],
    settingSources: ['user'],
  };
  const once = (hook: boolean): Promise<{ ms: number; recorded: boolean }> => {
    const id = `t${++turn}`;
    const record = hook ? writes.begin({ agent: `bench-${id}`, depth: 0, origin: `${id}.md` }, vault) : undefined;
    const args = claudeArgs({ ...base, prompt: id, sessionId: randomUUID(), settings: record?.settings });
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(CLAUDE, args, { cwd: vault, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.resume();
      child.on('error', reject);
      child.on('close', (code) => {
        const ms = performance.now() - started;
        if (code !== 0) return reject(new Error(`claude exited ${code}`));
        let recorded = true;
        if (record) {
          const lines = readFileSync(path.join(vault, '.scriptorium', 'writes', `bench-${id}.jsonl`), 'utf8').trim().split('\n');
          writes.end(record.id);
          recorded = lines.length === options.writes + 1 && Array.from({ length: options.writes }, (_, i) => writes.writerOf(`${id}-${i}.md`)?.agent === `bench-${id}`).every(Boolean);
        }
        resolve({ ms, recorded });
      });
    });
  };
  const rounds: Array<{ without: number; withHook: number; perWrite: number }> = [];
  let recorded = true;
  try {
    await once(false);
    await once(true);
    for (let r = 0; r < options.runs; r++) {
      const without: number[] = [];
      const withHook: number[] = [];
      for (let i = 0; i < options.turns; i++) {
        progress(`hook: round ${r + 1}/${options.runs}, turn ${i + 1}/${options.turns}`);
        // Alternating which goes first, so a drift of the machine falls on both.
        const order = i % 2 === 0 ? [false, true] : [true, false];
        for (const hook of order) {
          const run = await once(hook);
          (hook ? withHook : without).push(run.ms);
          recorded &&= run.recorded;
        }
      }
      const a = percentile(without, 50);
      const b = percentile(withHook, 50);
      rounds.push({ without: a, withHook: b, perWrite: (b - a) / options.writes });
    }
  } finally {
    await fake.close();
    rmSync(vault, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
  const result: WriteHookResult = {
    turns: options.turns,
    runs: options.runs,
    writes: options.writes,
    without: spread(rounds.map((r) => r.without)),
    withHook: spread(rounds.map((r) => r.withHook)),
    perWrite: spread(rounds.map((r) => r.perWrite)),
    recorded,
    hook: existsSync(BUILT) ? 'dist' : 'src',
  };
  printTable(`Write hook (${result.hook}): ${options.runs} rounds of ${options.turns} turns each way, ${options.writes} Write calls per turn`, [
    ['ms, median (min–max) over the rounds', ''],
    ['turn without the hook', show(result.without)],
    ['turn with the hook', show(result.withHook)],
    ['added per Write call', show(result.perWrite)],
    ['every write recorded and attributed', result.recorded ? 'yes' : 'NO'],
  ]);
  return result;
}
