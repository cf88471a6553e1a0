// Growth bench: agents defined. The same turns (a fixed number of messages to the same 10 agents, instant
// runner) in vaults that define 10, 100 or 1,000 agents: CPU per turn, turns per second and the bytes
// status.json and Dashboard.md take per turn, each size beside the 10-agent vault measured in the same run.
// One in ten of the agents no message goes to has a schedule (one that does not fire while the bench runs),
// as a vault's agents do.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Daemon } from '../src/daemon/daemon.ts';
import { DASHBOARD_NOTE } from '../src/dashboard/render.ts';
import { STATUS_FILE } from '../src/state/status-file.ts';
import { runChild } from './lib/child.ts';
import { profileWhile, summarizeProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { instantRunner } from './lib/instant-runner.ts';
import { installProbe } from './lib/probe.ts';
import { printTable, progress, show, showRatio } from './lib/report.ts';
import { ratios, spread, type Spread } from './lib/stats.ts';

const WRITER = fileURLToPath(new URL('./throughput-writer.ts', import.meta.url));
/** The agents the messages go to (the throughput writer's names, t00..t09): the same turns at every size. */
const BUSY = 10;

export interface GrowthAgentsOptions {
  runs: number;
  /** Agents defined; the first is the baseline, measured beside each in every run. */
  sizes: number[];
  quick: boolean;
  messages: number;
  /** Profile one extra run of the largest size. */
  profile?: boolean;
}

interface Figures {
  cpuMsPerTurn: number;
  turnsPerSecond: number;
  statusBytesPerTurn: number;
  dashboardBytesPerTurn: number;
  statusWritesPerTurn: number;
}

interface SizeResult {
  agents: number;
  cpuMsPerTurn: Spread;
  turnsPerSecond: Spread;
  statusBytesPerTurn: Spread;
  dashboardBytesPerTurn: Spread;
  statusWritesPerTurn: Spread;
  /** Against the baseline vault's figure of the same run. */
  cpuRatio: Spread;
  rateRatio: Spread;
}

export interface GrowthAgentsResult {
  runs: number;
  messages: number;
  busyAgents: number;
  baseline: number;
  sizes: SizeResult[];
  profile?: ProfileSummary & { agents: number };
}

function makeVault(agents: number): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-agents-'));
  mkdirSync(path.join(root, 'Agents'), { recursive: true });
  mkdirSync(path.join(root, 'Inbox'), { recursive: true });
  const definition = (extra: string) => `---\ntags: [agent/definition]\ndescription: answers the agents bench\n${extra}---\nAnswer in one line.\n`;
  for (let i = 0; i < BUSY; i++) writeFileSync(path.join(root, 'Agents', `t${String(i).padStart(2, '0')}.md`), definition(''));
  for (let i = BUSY; i < agents; i++) {
    // New Year's midnight: a schedule with a next run that does not fire during the bench.
    writeFileSync(path.join(root, 'Agents', `x${String(i).padStart(5, '0')}.md`), definition(i % 10 === 0 ? 'schedule: "0 0 1 1 *"\n' : ''));
  }
  return root;
}

async function oneRun(agents: number, messages: number, profiled = false): Promise<Figures & { profile?: ProfileSummary }> {
  const root = makeVault(agents);
  const probe = installProbe();
  probe.reset(false, root);
  probe.sizes = true;
  let statusBytes = 0;
  let statusWrites = 0;
  let dashboardBytes = 0;
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  let counting = false;
  const stop = probe.on((mark) => {
    if (!counting) return;
    if (mark.kind === 'write' && mark.path === STATUS_FILE) {
      statusBytes += mark.bytes ?? 0;
      statusWrites++;
    } else if (mark.kind === 'write' && mark.path === DASHBOARD_NOTE) dashboardBytes += mark.bytes ?? 0;
    else if (mark.kind === 'update' && mark.path.startsWith('Inbox/') && mark.fields?.status === 'done' && ++done === messages) allDone();
  });
  const daemon = new Daemon({ vault: root, runner: instantRunner(), logger: probe.logger() });
  try {
    await daemon.start();
    await daemon.idle();
    await daemon.watching();
    counting = true;
    const measured = async () => {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await runChild(WRITER, [root, String(messages), String(BUSY)]);
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 300_000).unref());
      if ((await Promise.race([finished, timeout])) === 'timeout') throw new Error(`only ${done} of ${messages} messages were done after 5 minutes`);
      const used = process.cpuUsage(cpu);
      return { cpuMs: (used.user + used.system) / 1000, seconds: (performance.now() - t0) / 1000 };
    };
    let window: { cpuMs: number; seconds: number };
    let profile: ProfileSummary | undefined;
    if (profiled) {
      const profiling = await profileWhile(measured);
      window = profiling.result;
      profile = summarizeProfile(profiling.profile, 15);
    } else {
      window = await measured();
    }
    counting = false;
    await daemon.idle();
    const figures: Figures = {
      cpuMsPerTurn: window.cpuMs / messages,
      turnsPerSecond: messages / window.seconds,
      statusBytesPerTurn: statusBytes / messages,
      dashboardBytesPerTurn: dashboardBytes / messages,
      statusWritesPerTurn: statusWrites / messages,
    };
    progress(
      `agents ${agents}${profiled ? ' (profiled)' : ''}: ${figures.cpuMsPerTurn.toFixed(1)} ms CPU per turn, ${figures.turnsPerSecond.toFixed(0)} turns/s, status.json ${figures.statusBytesPerTurn.toFixed(0)} B/turn, Dashboard.md ${figures.dashboardBytesPerTurn.toFixed(0)} B/turn`,
    );
    return { ...figures, ...(profile ? { profile } : {}) };
  } finally {
    stop();
    probe.sizes = false;
    await daemon.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function growthAgentsBench(options: GrowthAgentsOptions): Promise<GrowthAgentsResult> {
  const [baseline, ...others] = options.sizes;
  if (baseline === undefined) throw new Error('growth-agents: no sizes');
  // Run by run, the baseline beside every size, so a ratio compares figures of the same moment.
  const bySize = new Map<number, Figures[]>(options.sizes.map((s) => [s, []]));
  const baseBeside = new Map<number, Figures[]>(others.map((s) => [s, []]));
  for (let run = 0; run < options.runs; run++) {
    const base = await oneRun(baseline, options.messages);
    bySize.get(baseline)!.push(base);
    for (const size of others) {
      bySize.get(size)!.push(await oneRun(size, options.messages));
      baseBeside.get(size)!.push(base);
    }
  }
  const of = (list: Figures[], pick: (f: Figures) => number) => list.map(pick);
  const sizes: SizeResult[] = options.sizes.map((agents) => {
    const list = bySize.get(agents)!;
    const base = baseBeside.get(agents) ?? list;
    return {
      agents,
      cpuMsPerTurn: spread(of(list, (f) => f.cpuMsPerTurn)),
      turnsPerSecond: spread(of(list, (f) => f.turnsPerSecond)),
      statusBytesPerTurn: spread(of(list, (f) => f.statusBytesPerTurn)),
      dashboardBytesPerTurn: spread(of(list, (f) => f.dashboardBytesPerTurn)),
      statusWritesPerTurn: spread(of(list, (f) => f.statusWritesPerTurn)),
      cpuRatio: ratios(of(list, (f) => f.cpuMsPerTurn), of(base, (f) => f.cpuMsPerTurn)),
      rateRatio: ratios(of(list, (f) => f.turnsPerSecond), of(base, (f) => f.turnsPerSecond)),
    };
  });
  let profile: GrowthAgentsResult['profile'];
  if (options.profile) {
    const largest = Math.max(...options.sizes);
    progress(`growth-agents: one profiled run with ${largest} agents`);
    profile = { agents: largest, ...(await oneRun(largest, options.messages, true)).profile! };
  }
  const result: GrowthAgentsResult = { runs: options.runs, messages: options.messages, busyAgents: BUSY, baseline, sizes, ...(profile ? { profile } : {}) };
  printGrowthAgents(result);
  return result;
}

function printGrowthAgents(r: GrowthAgentsResult): void {
  printTable(`Growth: agents defined. ${r.messages} messages to ${r.busyAgents} agents, instant runner; median (min–max) of ${r.runs} runs; ratios against ${r.baseline} agents, run by run`, [
    ['agents', 'CPU ms/turn', 'ratio', 'turns/s', 'ratio', 'status.json B/turn', 'writes/turn', 'Dashboard.md B/turn'],
    ...r.sizes.map((s) => [
      String(s.agents),
      show(s.cpuMsPerTurn, 1),
      showRatio(s.cpuRatio),
      show(s.turnsPerSecond, 0),
      showRatio(s.rateRatio),
      show(s.statusBytesPerTurn, 0),
      show(s.statusWritesPerTurn, 2),
      show(s.dashboardBytesPerTurn, 0),
    ]),
  ]);
  if (r.profile) {
    const p = r.profile;
    console.log(`\n  profile of the run with ${p.agents} agents: ${p.wallMs} ms wall, ${p.busyMs} ms on the main thread`);
    printTable('  self time by area', [['area', 'ms', '% of busy'], ...p.byArea.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
    printTable('  self time by function', [['function', 'ms', '% of busy'], ...p.byFunction.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
    printTable('  inclusive time in src/ functions', [['function', 'ms', '% of busy'], ...p.inclusive.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
  }
}
