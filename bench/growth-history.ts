// Growth bench: start time against the history a vault keeps. A vault of N finished message/reply pairs
// (inbound `done`, outbound replies, as a year of use leaves them) beside its plain twin: the same number
// of notes, the same sizes and frontmatter shape, no agent tags. Both have the same few agents and
// thread notes. Each start runs in a fresh `node`: first with no notes index (cold), then again (warm,
// the index the first start wrote). Ratios are taken run by run against the plain vault's start.
// Then a history made while the daemon ran: N messages run by one daemon (the instant runner), which is
// stopped and started again; that restart beside the plain twin's start (the notes that settled while
// it ran are known from the index, not parsed).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../scripts/prng.ts';
import type { HistoryStartFigures } from './growth-history-child.ts';
import type { HistoryRunningFigures } from './growth-history-running-child.ts';
import { runChild } from './lib/child.ts';
import { printTable, progress, show, showRatio, verdict } from './lib/report.ts';
import { ratios, spread, type Spread } from './lib/stats.ts';
import { fileWriter, resetState } from './lib/vault-gen.ts';

const CHILD = fileURLToPath(new URL('./growth-history-child.ts', import.meta.url));
const RUNNING_CHILD = fileURLToPath(new URL('./growth-history-running-child.ts', import.meta.url));
const GENERATOR_VERSION = 1;
const AGENTS = 5;
const INDEX_FILE = '.scriptorium/notes-index.json';
const TARGET_PAIRS = 10_000;
const TARGET_RATIO = 2;

export interface GrowthHistoryOptions {
  runs: number;
  /** Finished pairs in the history vault (its plain twin has twice as many notes). */
  sizes: number[];
  quick: boolean;
  /** Pairs made while one daemon ran, before the restart measured (none: that part is skipped). */
  runningSizes?: number[] | undefined;
}

type Start = 'plain' | 'cold' | 'warm';

interface StartFigures {
  ms: Spread;
  cpuMs: Spread;
  maxRssMiB: Spread;
  /** Notes that went to intake, and of them those known from the index. */
  handled: number;
  known: number;
}

export interface GrowthHistorySize {
  pairs: number;
  notes: number;
  starts: Record<Start, StartFigures>;
  /** History vault ÷ plain vault, run by run: ms to ready and CPU, index cold and warm. */
  coldVsPlain: { ms: Spread; cpu: Spread };
  warmVsPlain: { ms: Spread; cpu: Spread };
}

export interface GrowthHistoryRunningSize {
  pairs: number;
  notes: number;
  /** The run that made the pairs: ms, and the index's lines once it stopped. */
  madeMs: number;
  indexLines: number;
  plain: StartFigures;
  restart: StartFigures;
  /** Restart ÷ plain vault's start, run by run. */
  vsPlain: { ms: Spread; cpu: Spread };
}

export interface GrowthHistoryResult {
  runs: number;
  sizes: GrowthHistorySize[];
  whileRunning: GrowthHistoryRunningSize[];
  target: { pairs: number; ratio: number; measured: number; verdict: 'pass' | 'miss' };
}

export async function growthHistoryBench(options: GrowthHistoryOptions): Promise<GrowthHistoryResult> {
  const sizes: GrowthHistorySize[] = [];
  for (const pairs of options.sizes) {
    progress(`growth-history: ${pairs} finished pairs beside ${pairs * 2} plain notes (generated once, cached in ${os.tmpdir()})`);
    const history = cachedHistoryVault(pairs, 'history');
    const plain = cachedHistoryVault(pairs, 'plain');
    // One untimed start of each warms the page cache (and lets the daemon write its own notes once).
    for (const root of [history, plain]) {
      await runChild<HistoryStartFigures>(CHILD, [root]);
      resetState(root);
    }
    const seen: Record<Start, HistoryStartFigures[]> = { plain: [], cold: [], warm: [] };
    for (let run = 0; run < options.runs; run++) {
      rmSync(path.join(plain, INDEX_FILE), { force: true });
      seen.plain.push(await runChild<HistoryStartFigures>(CHILD, [plain]));
      resetState(plain);
      rmSync(path.join(history, INDEX_FILE), { force: true });
      seen.cold.push(await runChild<HistoryStartFigures>(CHILD, [history]));
      resetState(history);
      seen.warm.push(await runChild<HistoryStartFigures>(CHILD, [history]));
      resetState(history);
      progress(`  run ${run + 1}/${options.runs}: plain ${seen.plain.at(-1)!.ms.toFixed(0)} ms, history cold ${seen.cold.at(-1)!.ms.toFixed(0)} ms, warm ${seen.warm.at(-1)!.ms.toFixed(0)} ms`);
    }
    const figures = (start: Start): StartFigures => ({
      ms: spread(seen[start].map((f) => f.ms)),
      cpuMs: spread(seen[start].map((f) => f.cpuMs)),
      maxRssMiB: spread(seen[start].map((f) => f.maxRssMiB)),
      handled: seen[start].at(-1)!.handled,
      known: seen[start].at(-1)!.known,
    });
    const against = (start: Start) => ({
      ms: ratios(seen[start].map((f) => f.ms), seen.plain.map((f) => f.ms)),
      cpu: ratios(seen[start].map((f) => f.cpuMs), seen.plain.map((f) => f.cpuMs)),
    });
    sizes.push({
      pairs,
      notes: seen.plain.at(-1)!.notes,
      starts: { plain: figures('plain'), cold: figures('cold'), warm: figures('warm') },
      coldVsPlain: against('cold'),
      warmVsPlain: against('warm'),
    });
  }
  const whileRunning: GrowthHistoryRunningSize[] = [];
  for (const pairs of options.runningSizes ?? []) whileRunning.push(await runningSize(pairs, options.runs));
  const at = sizes.find((s) => s.pairs === TARGET_PAIRS) ?? sizes.at(-1)!;
  const result: GrowthHistoryResult = {
    runs: options.runs,
    sizes,
    whileRunning,
    target: { pairs: at.pairs, ratio: TARGET_RATIO, measured: at.warmVsPlain.ms.median, verdict: verdict(at.warmVsPlain.ms.median <= TARGET_RATIO) },
  };
  print(result);
  return result;
}

/** `pairs` made by one daemon that then stops; its restart (from the index it left) beside the plain twin's start. */
async function runningSize(pairs: number, runs: number): Promise<GrowthHistoryRunningSize> {
  progress(`growth-history: ${pairs} pairs made while the daemon ran, then a restart`);
  const root = path.join(os.tmpdir(), 'scriptorium-bench', `growth-history-running-${pairs}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  generateHistoryVault(root, 0, 'history');
  const plain = cachedHistoryVault(pairs, 'plain');
  try {
    const made = await runChild<HistoryRunningFigures>(RUNNING_CHILD, [root, String(pairs), String(AGENTS)]);
    resetState(root);
    // Each restart from the index as the run left it (a restart compacts it).
    const index = path.join(root, INDEX_FILE);
    const left = existsSync(index) ? readFileSync(index) : undefined;
    const seen: { plain: HistoryStartFigures[]; restart: HistoryStartFigures[] } = { plain: [], restart: [] };
    for (let run = 0; run < runs; run++) {
      rmSync(path.join(plain, INDEX_FILE), { force: true });
      seen.plain.push(await runChild<HistoryStartFigures>(CHILD, [plain]));
      resetState(plain);
      if (left === undefined) rmSync(index, { force: true });
      else writeFileSync(index, left);
      seen.restart.push(await runChild<HistoryStartFigures>(CHILD, [root]));
      resetState(root);
      progress(`  run ${run + 1}/${runs}: plain ${seen.plain.at(-1)!.ms.toFixed(0)} ms, restart ${seen.restart.at(-1)!.ms.toFixed(0)} ms (${seen.restart.at(-1)!.known} of ${seen.restart.at(-1)!.handled} known)`);
    }
    const figures = (of: HistoryStartFigures[]): StartFigures => ({
      ms: spread(of.map((f) => f.ms)),
      cpuMs: spread(of.map((f) => f.cpuMs)),
      maxRssMiB: spread(of.map((f) => f.maxRssMiB)),
      handled: of.at(-1)!.handled,
      known: of.at(-1)!.known,
    });
    return {
      pairs,
      notes: seen.restart.at(-1)!.notes,
      madeMs: made.ms,
      indexLines: made.indexLines,
      plain: figures(seen.plain),
      restart: figures(seen.restart),
      vsPlain: {
        ms: ratios(seen.restart.map((f) => f.ms), seen.plain.map((f) => f.ms)),
        cpu: ratios(seen.restart.map((f) => f.cpuMs), seen.plain.map((f) => f.cpuMs)),
      },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function print(result: GrowthHistoryResult): void {
  printTable(`Growth, history: ms until ready, median (min–max) of ${result.runs} runs; a vault of N finished pairs beside as many plain notes`, [
    ['pairs', 'notes', 'plain notes', 'pairs, index cold', 'pairs, index warm', 'cold ÷ plain', 'warm ÷ plain'],
    ...result.sizes.map((s) => [
      String(s.pairs),
      String(s.notes),
      show(s.starts.plain.ms, 0),
      show(s.starts.cold.ms, 0),
      show(s.starts.warm.ms, 0),
      showRatio(s.coldVsPlain.ms),
      showRatio(s.warmVsPlain.ms),
    ]),
  ]);
  printTable('Growth, history: CPU ms until ready (user + system)', [
    ['pairs', 'plain notes', 'pairs, index cold', 'pairs, index warm', 'cold ÷ plain', 'warm ÷ plain'],
    ...result.sizes.map((s) => [String(s.pairs), show(s.starts.plain.cpuMs, 0), show(s.starts.cold.cpuMs, 0), show(s.starts.warm.cpuMs, 0), showRatio(s.coldVsPlain.cpu), showRatio(s.warmVsPlain.cpu)]),
  ]);
  printTable('Growth, history: notes handed to intake at start (of them: known from the index), peak RSS MiB', [
    ['pairs', 'plain', 'cold', 'warm', 'RSS plain', 'RSS cold', 'RSS warm'],
    ...result.sizes.map((s) => [
      String(s.pairs),
      `${s.starts.plain.handled} (${s.starts.plain.known})`,
      `${s.starts.cold.handled} (${s.starts.cold.known})`,
      `${s.starts.warm.handled} (${s.starts.warm.known})`,
      show(s.starts.plain.maxRssMiB, 0),
      show(s.starts.cold.maxRssMiB, 0),
      show(s.starts.warm.maxRssMiB, 0),
    ]),
  ]);
  if (result.whileRunning.length > 0) {
    printTable(`Growth, history made while the daemon ran: the restart after N pairs made by one run, ms until ready, median (min–max) of ${result.runs} runs`, [
      ['pairs', 'notes', 'plain notes', 'restart', 'restart ÷ plain', 'CPU ÷ plain', 'handled (known)', 'index lines left by the run'],
      ...result.whileRunning.map((s) => [
        String(s.pairs),
        String(s.notes),
        show(s.plain.ms, 0),
        show(s.restart.ms, 0),
        showRatio(s.vsPlain.ms),
        showRatio(s.vsPlain.cpu),
        `${s.restart.handled} (${s.restart.known})`,
        String(s.indexLines),
      ]),
    ]);
  }
  const t = result.target;
  console.log(`\n  target: ${t.pairs} finished pairs ready within ${t.ratio}× of as many plain notes (index warm): ${t.measured.toFixed(2)}× → ${t.verdict}`);
}

/** The vault for `pairs` finished pairs (`history`) or its plain twin, generated on first use and reused. */
function cachedHistoryVault(pairs: number, kind: 'history' | 'plain'): string {
  const root = path.join(os.tmpdir(), 'scriptorium-bench', `growth-history-v${GENERATOR_VERSION}-${kind}-${pairs}`);
  const mark = path.join(root, '.bench-vault-complete');
  if (existsSync(mark)) {
    resetState(root);
    return root;
  }
  rmSync(root, { recursive: true, force: true });
  generateHistoryVault(root, pairs, kind);
  writeFileSync(mark, '');
  return root;
}

/**
 * The same seed for both kinds: note for note the same paths, sizes and bodies. The plain twin's notes
 * carry frontmatter of the same shape whose tags name no agent role, so its start reads as many bytes
 * and decides about as many frontmatter blocks, but has nothing of Scriptorium's to take in.
 */
export function generateHistoryVault(root: string, pairs: number, kind: 'history' | 'plain'): void {
  const rand = prng(pairs);
  const write = fileWriter(root);
  const text = (bytes: number) => {
    let out = '';
    while (out.length < bytes) out += `Line ${Math.floor(rand() * 1e6)} of a note that was answered long ago, kept for reference. `;
    return out.slice(0, bytes) + '\n';
  };
  const tag = (role: string) => (kind === 'history' ? `agent/${role}` : `project/${role}`);
  const agents = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
  for (const name of agents) {
    write(`Agents/${name}.md`, `---\ntags: [agent/definition]\ndescription: answers questions\nmodel: sonnet\ntools: [Read]\n---\nYou answer questions.\n`);
    write(`Threads/${name}.md`, `---\ntags: [agent/thread]\nagent: ${name}\nmode: single-threaded\nstatus: ok\n---\n${text(2000)}`);
  }
  for (let i = 0; i < pairs; i++) {
    const agent = agents[i % AGENTS]!;
    const day = new Date(Date.UTC(2025, 0, 1) + (i % 365) * 86_400_000).toISOString().slice(0, 10);
    const folder = `${day.slice(0, 7)}`;
    const title = `${day} ${agent} - question ${i}`;
    const reply = `Outbox/${folder}/${title} (reply)`;
    write(
      `Inbox/${folder}/${title}.md`,
      `---\ntags: [${tag('message/inbound')}]\nto: ${agent}\nfrom: user\nstatus: done\nqueued_at: ${day}T09:30:00+00:00\nstarted_at: ${day}T09:30:01+00:00\nfinished_at: ${day}T09:31:00+00:00\nthread: "[[Threads/${agent}]]"\nreply: "[[${reply}]]"\n---\n${text(200 + Math.floor(rand() * 1500))}`,
    );
    write(
      `${reply}.md`,
      `---\ntags: [${tag('message/outbound')}]\nfrom: ${agent}\nto: user\nstatus: ok\nin_reply_to: "[[Inbox/${folder}/${title}]]"\nthread: "[[Threads/${agent}]]"\ncreated: ${day}T09:31:00+00:00\n---\n${text(500 + Math.floor(rand() * 4000))}`,
    );
  }
}
