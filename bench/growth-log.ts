// Growth bench, the turn history: a vault whose `.scriptorium/` holds 10k / 100k / 400k recorded turns,
// written as the single `turns.jsonl` of older versions and as month files (`turns/2026-12.jsonl`),
// beside the same vault with no history, measured in the same run: CPU until the daemon is ready and its
// peak RSS, each daemon in a fresh `node`. The history covers the last twelve months, one twelfth of it
// in this month (so the figures do not depend on the day of the month the bench runs on); `rotated, 1st`
// is the same number of turns all before this month (a start on the 1st): what the history alone costs.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isoLocal } from '../src/util/clock.ts';
import type { GrowthLogFigures } from './growth-log-child.ts';
import { runChild } from './lib/child.ts';
import { printTable, progress, show, showRatio } from './lib/report.ts';
import { ratios, spread, type Spread } from './lib/stats.ts';
import { resetState } from './lib/vault-gen.ts';

const CHILD = fileURLToPath(new URL('./growth-log-child.ts', import.meta.url));
const AGENTS = 5;
const PLAIN_NOTES = 200;
const LAYOUTS = ['single', 'rotated', 'rotated, 1st'] as const;
type Layout = 'empty' | (typeof LAYOUTS)[number];

export interface GrowthLogOptions {
  runs: number;
  sizes: number[];
  quick: boolean;
}

interface LayoutFigures {
  cpuMs: Spread;
  readyMs: Spread;
  maxRssMiB: Spread;
  cpuVsEmpty: Spread;
  rssVsEmpty: Spread;
  /** The dashboard's month total once ready: the same for every layout of one history. */
  costMonth: number;
}

export interface GrowthLogSize {
  turns: number;
  thisMonth: number;
  bytes: number;
  empty: { cpuMs: Spread; readyMs: Spread; maxRssMiB: Spread };
  layouts: Record<(typeof LAYOUTS)[number], LayoutFigures>;
}

export interface GrowthLogResult {
  runs: number;
  sizes: GrowthLogSize[];
}

export async function growthLogBench(options: GrowthLogOptions): Promise<GrowthLogResult> {
  const now = new Date();
  const sizes: GrowthLogSize[] = [];
  for (const turns of options.sizes) {
    progress(`growth-log: ${turns} turns (vaults generated once per month, cached in ${os.tmpdir()})`);
    const history = turnHistory(turns, now, Math.ceil(turns / 12));
    const roots: Record<Layout, string> = {
      empty: cachedVault(now, 0, 'empty', []),
      single: cachedVault(now, turns, 'single', history.lines),
      rotated: cachedVault(now, turns, 'rotated', history.lines),
      'rotated, 1st': cachedVault(now, turns, 'rotated, 1st', turnHistory(turns, now, 0).lines),
    };
    const seen: Record<Layout, GrowthLogFigures[]> = { empty: [], single: [], rotated: [], 'rotated, 1st': [] };
    // One untimed start each warms the page cache.
    for (const layout of Object.keys(roots) as Layout[]) {
      await runChild<GrowthLogFigures>(CHILD, [roots[layout]]);
      resetState(roots[layout]);
    }
    for (let run = 0; run < options.runs; run++) {
      for (const layout of Object.keys(roots) as Layout[]) {
        seen[layout].push(await runChild<GrowthLogFigures>(CHILD, [roots[layout]]));
        resetState(roots[layout]);
      }
      progress(`  run ${run + 1}/${options.runs}: ${(Object.keys(roots) as Layout[]).map((l) => `${l} ${seen[l].at(-1)!.cpuMs.toFixed(0)} ms CPU`).join(', ')}`);
    }
    const of = (layout: Layout, pick: (f: GrowthLogFigures) => number) => seen[layout].map(pick);
    const layoutFigures = (layout: (typeof LAYOUTS)[number]): LayoutFigures => ({
      cpuMs: spread(of(layout, (f) => f.cpuMs)),
      readyMs: spread(of(layout, (f) => f.readyMs)),
      maxRssMiB: spread(of(layout, (f) => f.maxRssMiB)),
      cpuVsEmpty: ratios(of(layout, (f) => f.cpuMs), of('empty', (f) => f.cpuMs)),
      rssVsEmpty: ratios(of(layout, (f) => f.maxRssMiB), of('empty', (f) => f.maxRssMiB)),
      costMonth: seen[layout][0]!.costMonth,
    });
    sizes.push({
      turns,
      thisMonth: history.thisMonth,
      bytes: history.bytes,
      empty: { cpuMs: spread(of('empty', (f) => f.cpuMs)), readyMs: spread(of('empty', (f) => f.readyMs)), maxRssMiB: spread(of('empty', (f) => f.maxRssMiB)) },
      layouts: { single: layoutFigures('single'), rotated: layoutFigures('rotated'), 'rotated, 1st': layoutFigures('rotated, 1st') },
    });
  }
  const result: GrowthLogResult = { runs: options.runs, sizes };
  printGrowthLog(result);
  return result;
}

function printGrowthLog(result: GrowthLogResult): void {
  const rows: string[][] = [['turns (this month)', 'layout', 'CPU to ready ms', 'empty history', '÷ empty', 'peak RSS MiB', 'empty history', '÷ empty', 'month $']];
  for (const s of result.sizes) {
    for (const layout of LAYOUTS) {
      const f = s.layouts[layout];
      rows.push([`${s.turns} (${layout === 'rotated, 1st' ? 0 : s.thisMonth})`, layout, show(f.cpuMs, 0), show(s.empty.cpuMs, 0), showRatio(f.cpuVsEmpty), show(f.maxRssMiB, 0), show(s.empty.maxRssMiB, 0), showRatio(f.rssVsEmpty), f.costMonth.toFixed(2)]);
    }
  }
  printTable(`Turn history: a daemon start, median (min–max) of ${result.runs} runs, each beside the same vault with no history`, rows);
}

/** `n` turns: `thisMonth` of them between the first of this month and now, the rest over the months before (a year in all). */
function turnHistory(n: number, now: Date, thisMonth: number): { lines: string[]; thisMonth: number; bytes: number } {
  const monthStart = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
  const yearStart = new Date(now.getFullYear(), now.getMonth() - (thisMonth > 0 ? 11 : 12), 1).getTime();
  const before = n - thisMonth;
  const lines: string[] = [];
  const at = (i: number) =>
    i < before ? yearStart + ((monthStart - yearStart) * i) / before : monthStart + ((now.getTime() - 60_000 - monthStart) * (i - before + 1)) / (thisMonth + 1);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const agent = `agent-${String(i % AGENTS).padStart(2, '0')}`;
    const when = isoLocal(new Date(at(i)));
    const line = JSON.stringify({
      at: when,
      agent,
      message: `Inbox/${when.slice(0, 10)} ${agent} - question ${i}.md`,
      thread: `Threads/${agent}.md`,
      reply: `Outbox/${when.slice(0, 10)} ${agent} - question ${i}.md`,
      ok: true,
      costUsd: 0.01,
      durationMs: 59_000,
      session: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    });
    bytes += line.length + 1;
    lines.push(line);
  }
  return { lines, thisMonth, bytes };
}

function cachedVault(now: Date, turns: number, layout: Layout, lines: string[]): string {
  const month = isoLocal(now).slice(0, 7);
  const root = path.join(os.tmpdir(), 'scriptorium-bench', `growth-log-v1-${month}-${turns}-${layout.replace(', ', '-')}`);
  const mark = path.join(root, '.bench-vault-complete');
  if (existsSync(mark)) {
    resetState(root);
    return root;
  }
  rmSync(root, { recursive: true, force: true });
  const write = (vaultPath: string, text: string) => {
    const file = path.join(root, vaultPath);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  for (let a = 0; a < AGENTS; a++) {
    write(`Agents/agent-${String(a).padStart(2, '0')}.md`, `---\ntags: [agent/definition]\ndescription: answers questions\nmodel: sonnet\ntools: [Read]\n---\nYou answer questions.\n`);
  }
  for (let i = 0; i < PLAIN_NOTES; i++) write(`Notes/note ${i}.md`, `# Note ${i}\n\nSome text of note ${i}.\n`);
  write('.scriptorium/.keep', '');
  if (layout === 'single') write('.scriptorium/turns.jsonl', lines.map((l) => l + '\n').join(''));
  if (layout.startsWith('rotated')) {
    const byMonth = new Map<string, string[]>();
    for (const line of lines) {
      const key = (JSON.parse(line) as { at: string }).at.slice(0, 7);
      const list = byMonth.get(key) ?? [];
      list.push(line);
      byMonth.set(key, list);
    }
    for (const [key, monthLines] of byMonth) write(`.scriptorium/turns/${key}.jsonl`, monthLines.map((l) => l + '\n').join(''));
  }
  // Written last: a half-written vault is never taken for a whole one.
  writeFileSync(mark, JSON.stringify({ turns, layout }));
  return root;
}
