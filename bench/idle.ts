// Bench 4, idle cost: the daemon watching the 10,000-note vault for 60 s with nothing happening, beside a
// bare chokidar watcher (same options) on the same vault at the same time, each in its own process.
// The 60 s are read in slices; min / median / max are over the slices.
import { fileURLToPath } from 'node:url';
import type { IdleFigures } from './idle-child.ts';
import { runChild } from './lib/child.ts';
import { printTable, progress, show, verdict } from './lib/report.ts';
import { spread, type Spread } from './lib/stats.ts';
import { cachedVault, resetState } from './lib/vault-gen.ts';

const CHILD = fileURLToPath(new URL('./idle-child.ts', import.meta.url));
const TARGET_CPU_PERCENT = 1;

export interface IdleOptions {
  seconds: number;
  notes: number;
  slices: number;
}

interface IdleSpread {
  cpuPercent: Spread;
  rssMiB: Spread;
  wakeupsPerSecond: Spread;
}

export interface IdleResult {
  seconds: number;
  notes: number;
  daemon: IdleSpread;
  watcher: IdleSpread;
  target: { cpuPercent: number; measured: number; verdict: 'pass' | 'miss' };
}

function spreadOf(figures: IdleFigures): IdleSpread {
  return {
    cpuPercent: spread(figures.slices.map((s) => s.cpuPercent)),
    rssMiB: spread(figures.slices.map((s) => s.rssMiB)),
    wakeupsPerSecond: spread(figures.slices.map((s) => s.wakeupsPerSecond)),
  };
}

export async function idleBench(options: IdleOptions): Promise<IdleResult> {
  const vault = cachedVault(options.notes);
  progress(`idle: daemon and bare watcher on ${options.notes} notes, ${options.seconds} s after a 5 s warm-up`);
  const args = [vault.root, String(options.seconds), String(options.slices)];
  const timeoutMs = (options.seconds + 120) * 1000;
  const [daemon, watcher] = await Promise.all([
    runChild<IdleFigures>(CHILD, ['daemon', ...args], { timeoutMs }),
    runChild<IdleFigures>(CHILD, ['watcher', ...args], { timeoutMs }),
  ]);
  resetState(vault.root);
  const d = spreadOf(daemon);
  const result: IdleResult = {
    seconds: options.seconds,
    notes: options.notes,
    daemon: d,
    watcher: spreadOf(watcher),
    target: { cpuPercent: TARGET_CPU_PERCENT, measured: d.cpuPercent.median, verdict: verdict(d.cpuPercent.max < TARGET_CPU_PERCENT) },
  };
  printIdle(result, options.slices);
  return result;
}

function printIdle(r: IdleResult, slices: number): void {
  const row = (label: string, s: IdleSpread) => [label, show(s.cpuPercent, 3), show(s.rssMiB, 0), show(s.wakeupsPerSecond, 1)];
  printTable(`Idle for ${r.seconds} s on ${r.notes} notes: median (min–max) over ${slices} slices of ${(r.seconds / slices).toFixed(0)} s`, [
    ['', 'CPU % of a core', 'RSS MiB', 'wake-ups/s'],
    row('bare chokidar', r.watcher),
    row('Scriptorium', r.daemon),
  ]);
  console.log(`\n  target: idle CPU under ${r.target.cpuPercent} % (every slice): median ${r.target.measured.toFixed(3)} %, max ${r.daemon.cpuPercent.max.toFixed(3)} % → ${r.target.verdict}`);
}
