// One idle process (spawned by idle.ts): the daemon, or the bare watcher, watching a vault where nothing
// happens. After a warm-up, CPU time, RSS and wake-ups are read at the end of each slice.
//
//   node bench/idle-child.ts <daemon|watcher> <vault> <seconds> <slices>
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { reportToParent } from './lib/child.ts';

export interface IdleSlice {
  /** User + system CPU over wall time, in percent of one core. */
  cpuPercent: number;
  rssMiB: number;
  /** Voluntary context switches per second: how often the process woke up. */
  wakeupsPerSecond: number;
}

export interface IdleFigures {
  variant: 'daemon' | 'watcher';
  startMs: number;
  slices: IdleSlice[];
}

const WARM_UP_MS = 5_000;
const [variant, root, seconds, sliceCount] = [process.argv[2] as IdleFigures['variant'], process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])];

const t0 = performance.now();
let close: () => Promise<void>;
if (variant === 'daemon') {
  const { Daemon } = await import('../src/daemon/daemon.ts');
  const { instantRunner } = await import('./lib/instant-runner.ts');
  const { createMemoryLogger } = await import('../src/util/logger.ts');
  const daemon = new Daemon({ vault: root, runner: instantRunner(), logger: createMemoryLogger() });
  await daemon.start();
  close = () => daemon.close();
} else {
  const { bareWatcher } = await import('./lib/bare-watcher.ts');
  const { ready, watcher } = bareWatcher(root);
  await ready;
  close = () => watcher.close();
}
const startMs = performance.now() - t0;
// What follows a start (the status file, first timers) is not idle yet.
await sleep(WARM_UP_MS);

const slices: IdleSlice[] = [];
const sliceMs = (seconds * 1000) / sliceCount;
for (let i = 0; i < sliceCount; i++) {
  const wall = performance.now();
  const usage = process.resourceUsage();
  await sleep(sliceMs);
  const after = process.resourceUsage();
  const elapsedUs = (performance.now() - wall) * 1000;
  slices.push({
    cpuPercent: ((after.userCPUTime - usage.userCPUTime + after.systemCPUTime - usage.systemCPUTime) / elapsedUs) * 100,
    rssMiB: process.memoryUsage.rss() / 1024 / 1024,
    wakeupsPerSecond: ((after.voluntaryContextSwitches - usage.voluntaryContextSwitches) / elapsedUs) * 1e6,
  });
}
await close();
reportToParent({ variant, startMs, slices } satisfies IdleFigures);
