// One daemon start in a fresh process (spawned by growth-history.ts): time until ready and the CPU it
// took, on a vault of finished message/reply pairs or on its plain twin.
//
//   node bench/growth-history-child.ts <vault>
import { performance } from 'node:perf_hooks';
import { reportToParent } from './lib/child.ts';

export interface HistoryStartFigures {
  /** From `new Daemon` until `start()` resolved. */
  ms: number;
  /** User + system CPU over the same span. */
  cpuMs: number;
  /** Notes the start-up read found, and those that went on to intake (`start-up notes handled`). */
  notes: number;
  handled: number;
  /** Of those, the ones recognised from the notes index without a parse (0 before it existed). */
  known: number;
  maxRssMiB: number;
}

const [root] = process.argv.slice(2) as [string];
const { Daemon } = await import('../src/daemon/daemon.ts');
const { installProbe } = await import('./lib/probe.ts');
const { instantRunner } = await import('./lib/instant-runner.ts');
const probe = installProbe();
probe.reset(false, root);
let notes = 0;
let handled = 0;
let known = 0;
probe.on((mark) => {
  if (mark.kind !== 'log') return;
  if (mark.what === 'vault read') notes = Number(mark.fields?.notes ?? 0);
  if (mark.what === 'start-up notes handled') {
    handled = Number(mark.fields?.notes ?? 0);
    known = Number(mark.fields?.known ?? 0);
  }
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const daemon = new Daemon({ vault: root, runner: instantRunner(), logger: probe.logger() });
await daemon.start();
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await daemon.close();
reportToParent({ ms, cpuMs: (cpu.user + cpu.system) / 1000, notes, handled, known, maxRssMiB: process.resourceUsage().maxRSS / 1024 } satisfies HistoryStartFigures);
