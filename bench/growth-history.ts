// Growth bench: start time against the history a vault keeps. A vault of N finished message/reply pairs
// (inbound `done`, outbound replies, as a year of use leaves them) beside its plain twin: the same number
// of notes, the same sizes and frontmatter shape, no agent tags. Both have the same few agents and
// thread notes. Each start runs in a fresh `node`: first with no notes index (cold), then again (warm,
// the index the first start wrote). Ratios are taken run by run against the plain vault's start.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../scripts/prng.ts';
import type { HistoryStartFigures } from './growth-history-child.ts';
import { runChild } from './lib/child.ts';
import { printTable, progress, show, showRatio, verdict } from './lib/report.ts';
import { ratios, spread, type Spread } from './lib/stats.ts';
import { resetState } from './lib/vault-gen.ts';

const CHILD = fileURLToPath(new URL('./growth-history-child.ts', import.meta.url));
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

export interface GrowthHistoryResult {
  runs: number;
  sizes: GrowthHistorySize[];
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
  const at = sizes.find((s) => s.pairs === TARGET_PAIRS) ?? sizes.at(-1)!;
  const result: GrowthHistoryResult = {
    runs: options.runs,
    sizes,
    target: { pairs: at.pairs, ratio: TARGET_RATIO, measured: at.warmVsPlain.ms.median, verdict: verdict(at.warmVsPlain.ms.median <= TARGET_RATIO) },
  };
  print(result);
  return result;
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
  const made = new Set<string>();
  const write = (vaultPath: string, text: string) => {
    const file = path.join(root, ...vaultPath.split('/'));
    const dir = path.dirname(file);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(file, text);
  };
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
