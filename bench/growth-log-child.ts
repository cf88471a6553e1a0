// One daemon start in a fresh process (spawned by growth-log.ts) on a vault with a turn history: CPU
// spent until `start()` resolves, peak RSS, and what the dashboard then says of this month (the same
// history must give the same figures, whatever its layout on disk).
//
//   node bench/growth-log-child.ts <vault>
import { performance } from 'node:perf_hooks';
import { reportToParent } from './lib/child.ts';

export interface GrowthLogFigures {
  /** CPU (user + system) of the whole process from its start until the daemon is ready. */
  cpuMs: number;
  /** Wall time from `new Daemon` to ready. */
  readyMs: number;
  maxRssMiB: number;
  costMonth: number;
  turnsShown: number;
}

const root = process.argv[2]!;
const { Daemon } = await import('../src/daemon/daemon.ts');
const { instantRunner } = await import('./lib/instant-runner.ts');
const { createLogger } = await import('../src/util/logger.ts');
const t0 = performance.now();
const daemon = new Daemon({ vault: root, runner: instantRunner(), logger: createLogger({ level: 'error', write: () => {} }) });
await daemon.start();
const readyMs = performance.now() - t0;
const cpu = process.cpuUsage();
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
const snapshot = daemon.dashboardSnapshot();
await daemon.close({ graceMs: 0 });
reportToParent({
  cpuMs: (cpu.user + cpu.system) / 1000,
  readyMs,
  maxRssMiB,
  costMonth: snapshot.totals.costMonth,
  turnsShown: snapshot.turns.length,
} satisfies GrowthLogFigures);
