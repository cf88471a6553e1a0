// Scriptorium's benchmarks (issue 7). They report; they never fail the test suite. Each figure is measured
// beside its baseline in the same run and given as median (min–max) over repeated runs, with the ratio.
//
//   npm run bench                        every bench (about 6 minutes on two cores)
//   npm run bench -- wake cold           some of them: wake, cold, throughput, idle, turn, hook, server,
//                                        growth-thread, growth-history, growth-log, growth-agents,
//                                        growth-backlog
//   npm run bench -- --runs=5            more repeats (default 3)
//   npm run bench -- --quick             a smoke run: few messages, small vaults, short idle
//   options: --messages=200 --chunked=20 --diagnostic=10 (wake), --sizes=1000,10000,50000 (cold),
//            --throughput-messages=2000, --seconds=60 (idle), --turns=20 (turn),
//            --hook-turns=10 --writes=5 (hook), --server-turns=20 (server), --no-profile,
//            --thread-sizes=100,1000,3000 --thread-turns=20 (growth-thread),
//            --history-sizes=1000,10000 (growth-history: finished message/reply pairs),
//            --history-running=1000 (growth-history: pairs made while the daemon ran, then a restart; 0: none),
//            --log-turns=10000,100000,400000 (growth-log),
//            --agent-sizes=10,100,1000 --agent-messages=400 (growth-agents),
//            --backlog-sizes=500,5000 --backlog-bodies=100,20000 (growth-backlog)
//
// Tables go to stdout, progress to stderr; results are merged into bench/results/latest.json (a bench not
// run keeps its previous figures there). BENCHMARKS.md is written by hand from those figures.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { coldStartBench } from './cold-start.ts';
import { growthLogBench } from './growth-log.ts';
import { idleBench } from './idle.ts';
import { growthHistoryBench } from './growth-history.ts';
import { describeMachine } from './lib/machine.ts';
import { realTurnBench } from './real-turn.ts';
import { throughputBench } from './throughput.ts';
import { growthAgentsBench } from './growth-agents.ts';
import { wakeBench } from './wake.ts';
import { writeHookBench } from './write-hook.ts';
import { turnServerBench } from './turn-server.ts';
import { threadGrowthBench } from './growth-thread.ts';
import { backlogBench } from './growth-backlog.ts';

const BENCHES = ['wake', 'cold', 'throughput', 'idle', 'turn', 'hook', 'server', 'growth-thread', 'growth-history', 'growth-log', 'growth-agents', 'growth-backlog'] as const;
type BenchName = (typeof BENCHES)[number];
const ALIASES: Record<string, BenchName> = { 'cold-start': 'cold', 'real-turn': 'turn', overhead: 'turn' };
const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));

interface Args {
  benches: BenchName[];
  runs: number;
  quick: boolean;
  values: Map<string, string>;
}

function parseArgs(argv: string[]): Args {
  const benches: BenchName[] = [];
  const values = new Map<string, string>();
  for (const arg of argv) {
    const option = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (option) {
      values.set(option[1]!, option[2] ?? 'true');
      continue;
    }
    const name = ALIASES[arg] ?? arg;
    if (!(BENCHES as readonly string[]).includes(name)) throw new Error(`unknown bench "${arg}": expected one of ${BENCHES.join(', ')}`);
    benches.push(name as BenchName);
  }
  const quick = values.has('quick');
  const runs = Number(values.get('runs') ?? (quick ? 2 : 3));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs expected a whole number from 1, found ${values.get('runs')}`);
  return { benches: benches.length > 0 ? benches : [...BENCHES], runs, quick, values };
}

/** The code measured: the commit, and whether src/ had uncommitted changes. */
function codeState(): { commit: string; srcChanged: boolean } {
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', a, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', srcChanged: git('status', '--porcelain', '--', 'src') !== '' };
}

function numberOption(args: Args, name: string, normal: number, quick: number): number {
  const raw = args.values.get(name);
  if (raw === undefined) return args.quick ? quick : normal;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expected a positive number, found ${raw}`);
  return value;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = describeMachine();
  console.log(`Scriptorium benchmarks: ${args.benches.join(', ')}; ${args.runs} runs each`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}, node ${machine.node}, load ${machine.loadAtStart}`);

  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { benches?: Record<string, unknown> }) : {};
  const benches: Record<string, unknown> = { ...previous.benches };
  const record = (name: BenchName, options: unknown, result: unknown) => {
    benches[name] = { measuredAt: new Date().toISOString(), machine: describeMachine(), code: codeState(), options, result };
    mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify({ updatedAt: new Date().toISOString(), benches }, null, 2) + '\n');
  };

  for (const name of args.benches) {
    const started = Date.now();
    switch (name) {
      case 'wake': {
        const options = {
          runs: args.runs,
          messages: numberOption(args, 'messages', 200, 40),
          chunked: numberOption(args, 'chunked', 20, 10),
          diagnostic: numberOption(args, 'diagnostic', 10, 5),
        };
        record(name, options, await wakeBench(options));
        break;
      }
      case 'cold': {
        const sizes = (args.values.get('sizes') ?? (args.quick ? '1000,10000' : '1000,10000,50000')).split(',').map(Number);
        const options = { runs: args.runs, sizes, profile: !args.values.has('no-profile') };
        record(name, options, await coldStartBench(options));
        break;
      }
      case 'throughput': {
        const options = { runs: args.runs, messages: numberOption(args, 'throughput-messages', 2000, 400), agents: 20, profile: !args.values.has('no-profile') };
        record(name, options, await throughputBench(options));
        break;
      }
      case 'idle': {
        const options = { seconds: numberOption(args, 'seconds', 60, 10), notes: 10_000, slices: 6 };
        record(name, options, await idleBench(options));
        break;
      }
      case 'turn': {
        const options = { turns: numberOption(args, 'turns', 20, 4), runs: args.runs };
        record(name, options, await realTurnBench(options));
        break;
      }
      case 'hook': {
        const options = { turns: numberOption(args, 'hook-turns', 10, 3), runs: args.runs, writes: numberOption(args, 'writes', 5, 3) };
        record(name, options, await writeHookBench(options));
        break;
      }
      case 'server': {
        const options = { turns: numberOption(args, 'server-turns', 20, 4), runs: args.runs };
        record(name, options, await turnServerBench(options));
        break;
      }
      case 'growth-thread': {
        const sizes = (args.values.get('thread-sizes') ?? (args.quick ? '100,1000' : '100,1000,3000')).split(',').map(Number);
        const options = { runs: args.runs, sizes, turns: numberOption(args, 'thread-turns', 20, 5) };
        record(name, options, await threadGrowthBench(options));
        break;
      }
      case 'growth-history': {
        const sizes = (args.values.get('history-sizes') ?? (args.quick ? '1000' : '1000,10000')).split(',').map(Number);
        const runningSizes = (args.values.get('history-running') ?? (args.quick ? '200' : '1000')).split(',').map(Number).filter((n) => n > 0);
        const options = { runs: args.runs, sizes, quick: args.quick, runningSizes };
        record(name, options, await growthHistoryBench(options));
        break;
      }
      case 'growth-log': {
        const sizes = (args.values.get('log-turns') ?? (args.quick ? '10000' : '10000,100000,400000')).split(',').map(Number);
        const options = { runs: args.runs, sizes, quick: args.quick };
        record(name, options, await growthLogBench(options));
        break;
      }
      case 'growth-agents': {
        const sizes = (args.values.get('agent-sizes') ?? (args.quick ? '10,1000' : '10,100,1000')).split(',').map(Number);
        const options = { runs: args.runs, sizes, quick: args.quick, messages: numberOption(args, 'agent-messages', 400, 400), profile: !args.values.has('no-profile') };
        record(name, options, await growthAgentsBench(options));
        break;
      }
      case 'growth-backlog': {
        const list = (option: string, normal: string) => (args.values.get(option) ?? normal).split(',').map(Number);
        const options = { runs: args.runs, quick: args.quick, sizes: list('backlog-sizes', '500,5000'), bodies: list('backlog-bodies', '100,20000'), profile: !args.values.has('no-profile') };
        record(name, options, await backlogBench(options));
        break;
      }
    }
    console.log(`\n(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  console.log(`\nresults: ${RESULTS}`);
}

await main();
