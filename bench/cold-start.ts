// Bench 2, cold start on big vaults: time until the daemon is ready and its peak RSS, at 1,000, 10,000
// and 50,000 notes, beside the read-bytes floor, the naive reader (gray-matter on every file) and
// chokidar's own scan. Each variant runs in a fresh `node`; the variants of one run are interleaved, and
// ratios are taken run by run.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColdFigures, ColdVariant } from './cold-start-child.ts';
import { runChild } from './lib/child.ts';
import { readProfile, summarizeProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { printTable, progress, show, showRatio, verdict } from './lib/report.ts';
import { ratios, spread, type Spread } from './lib/stats.ts';
import { cachedVault, resetState, type GeneratedVault } from './lib/vault-gen.ts';

const CHILD = fileURLToPath(new URL('./cold-start-child.ts', import.meta.url));
const VARIANTS: ColdVariant[] = ['node', 'floor', 'naive', 'watcher', 'daemon'];
const TARGET_SIZE = 10_000;
const TARGET_RATIO = 3;

export interface ColdStartOptions {
  runs: number;
  sizes: number[];
  /** Also run the daemon once under --cpu-prof at the target size, and summarize where the time went. */
  profile: boolean;
}

interface VariantFigures {
  ms: Spread;
  maxRssMiB: Spread;
  importMs: Spread;
  usPerNote: Spread;
}

export interface ColdStartSize {
  notes: number;
  vault: Omit<GeneratedVault, 'root'>;
  variants: Partial<Record<ColdVariant, VariantFigures>>;
  daemonVsFloor: Spread;
  daemonVsNaive: Spread;
  daemonVsWatcher: Spread;
  /** The daemon's RSS above node's own, against the naive reader's. */
  daemonExtraRssMiB: Spread;
  /** scan: the daemon reading the vault itself; classify: handling the notes that may be Scriptorium's. */
  phases: Record<'beforeScan' | 'scan' | 'classify' | 'afterClassify', Spread>;
  /** From the start until chokidar watches every folder and the look over the vault after it is done. */
  watchedMs: Spread;
  /** Notes the daemon wrote while starting (they stay: the next runs start on a vault that has them). */
  written: string[];
  /** The what-ifs: the daemon's per-note I/O pattern alone, one note at a time and 32 at a time; and
   * chokidar setting up its watches without reporting the scan (ignoreInitial). */
  ioPattern?: { serial: Spread; pooled: Spread; watcherQuiet: Spread };
}

export interface ColdStartResult {
  runs: number;
  sizes: ColdStartSize[];
  target: { notes: number; ratio: number; measured: number; verdict: 'pass' | 'miss' };
  profile?: ProfileSummary & { notes: number };
}

export async function coldStartBench(options: ColdStartOptions): Promise<ColdStartResult> {
  const sizes: ColdStartSize[] = [];
  for (const notes of options.sizes) {
    progress(`cold start: vault of ${notes} notes (generated once, then cached in ${os.tmpdir()})`);
    const vault = cachedVault(notes);
    const withWhatIfs = notes === TARGET_SIZE;
    const variants: ColdVariant[] = withWhatIfs ? [...VARIANTS, 'serial-io', 'pooled-io', 'watcher-quiet'] : VARIANTS;
    // One untimed pass warms the page cache: every figure is a warm-cache figure.
    await runChild<ColdFigures>(CHILD, ['floor', vault.root]);
    const seen = new Map<ColdVariant, ColdFigures[]>(variants.map((v) => [v, []]));
    const written = new Set<string>();
    for (let run = 0; run < options.runs; run++) {
      for (const variant of variants) {
        const figures = await runChild<ColdFigures>(CHILD, [variant, vault.root]);
        resetState(vault.root);
        if (variant !== 'node' && figures.notes < vault.notes) throw new Error(`${variant} saw ${figures.notes} of ${vault.notes} notes`);
        for (const note of figures.written ?? []) written.add(note);
        seen.get(variant)!.push(figures);
      }
      progress(`  run ${run + 1}/${options.runs}: daemon ${seen.get('daemon')!.at(-1)!.ms.toFixed(0)} ms, floor ${seen.get('floor')!.at(-1)!.ms.toFixed(0)} ms`);
    }
    const of = (variant: ColdVariant, pick: (f: ColdFigures) => number) => seen.get(variant)!.map(pick);
    const figures = (variant: ColdVariant): VariantFigures => ({
      ms: spread(of(variant, (f) => f.ms)),
      maxRssMiB: spread(of(variant, (f) => f.maxRssMiB)),
      importMs: spread(of(variant, (f) => f.importMs)),
      usPerNote: spread(of(variant, (f) => (f.ms * 1000) / vault.notes)),
    });
    const daemonMs = of('daemon', (f) => f.ms);
    const nodeRss = of('node', (f) => f.maxRssMiB);
    const phase = (name: keyof NonNullable<ColdFigures['phases']>) => spread(of('daemon', (f) => f.phases![name]));
    const { root: _root, ...vaultFacts } = vault;
    sizes.push({
      notes,
      vault: vaultFacts,
      variants: Object.fromEntries(variants.map((v) => [v, figures(v)])),
      daemonVsFloor: ratios(daemonMs, of('floor', (f) => f.ms)),
      daemonVsNaive: ratios(daemonMs, of('naive', (f) => f.ms)),
      daemonVsWatcher: ratios(daemonMs, of('watcher', (f) => f.ms)),
      written: [...written],
      daemonExtraRssMiB: spread(of('daemon', (f) => f.maxRssMiB).map((rss, i) => rss - nodeRss[i]!)),
      phases: { beforeScan: phase('beforeScan'), scan: phase('scan'), classify: phase('classify'), afterClassify: phase('afterClassify') },
      watchedMs: spread(of('daemon', (f) => f.watchedMs!)),
      ...(withWhatIfs ? { ioPattern: { serial: figures('serial-io').ms, pooled: figures('pooled-io').ms, watcherQuiet: figures('watcher-quiet').ms } } : {}),
    });
  }

  let profile: ColdStartResult['profile'];
  const targetSize = options.sizes.includes(TARGET_SIZE) ? TARGET_SIZE : options.sizes[0]!;
  if (options.profile) {
    progress(`cold start: one profiled daemon start at ${targetSize} notes`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-prof-'));
    const vault = cachedVault(targetSize);
    await runChild<ColdFigures>(CHILD, ['daemon', vault.root], { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    resetState(vault.root);
    profile = { notes: targetSize, ...summarizeProfile(readProfile(dir)) };
    rmSync(dir, { recursive: true, force: true });
  }

  const atTarget = sizes.find((s) => s.notes === targetSize)!;
  const result: ColdStartResult = {
    runs: options.runs,
    sizes,
    target: { notes: targetSize, ratio: TARGET_RATIO, measured: atTarget.daemonVsFloor.median, verdict: verdict(atTarget.daemonVsFloor.median <= TARGET_RATIO) },
    ...(profile ? { profile } : {}),
  };
  printColdStart(result);
  return result;
}

function printColdStart(result: ColdStartResult): void {
  const ms = (s: ColdStartSize, v: ColdVariant) => (s.variants[v] ? show(s.variants[v].ms, 0) : '—');
  printTable(`Cold start: ms until ready, median (min–max) of ${result.runs} runs, warm page cache`, [
    ['notes', 'floor (read bytes)', 'naive (gray-matter)', 'chokidar scan', 'Scriptorium', '÷ floor', '÷ naive', '÷ scan'],
    ...result.sizes.map((s) => [
      String(s.notes),
      ms(s, 'floor'),
      ms(s, 'naive'),
      ms(s, 'watcher'),
      ms(s, 'daemon'),
      showRatio(s.daemonVsFloor),
      showRatio(s.daemonVsNaive),
      showRatio(s.daemonVsWatcher),
    ]),
  ]);
  printTable('Cold start: growth, µs per note (median)', [
    ['notes', 'floor', 'naive', 'chokidar scan', 'Scriptorium'],
    ...result.sizes.map((s) => [String(s.notes), ...(['floor', 'naive', 'watcher', 'daemon'] as const).map((v) => s.variants[v]!.usPerNote.median.toFixed(0))]),
  ]);
  printTable('Cold start: peak RSS, MiB', [
    ['notes', 'node alone', 'floor', 'naive', 'chokidar scan', 'Scriptorium'],
    ...result.sizes.map((s) => [String(s.notes), ...(['node', 'floor', 'naive', 'watcher', 'daemon'] as const).map((v) => show(s.variants[v]!.maxRssMiB, 0))]),
  ]);
  printTable("Cold start: where Scriptorium's start goes, ms", [
    ['notes', 'lock, turns log, HALT', 'read the vault (walk, first 64 KB of each note)', 'handle the notes that may be ours', 'recovery, schedules', 'ready → every folder watched'],
    ...result.sizes.map((s) => [
      String(s.notes),
      show(s.phases.beforeScan, 0),
      show(s.phases.scan, 0),
      show(s.phases.classify, 0),
      show(s.phases.afterClassify, 0),
      `${show(s.watchedMs, 0)} from the start`,
    ]),
  ]);
  for (const s of result.sizes) {
    if (s.written.length > 0) console.log(`\n  at ${s.notes} notes the daemon wrote while starting: ${s.written.join(', ')}`);
    if (s.ioPattern) {
      console.log(`\n  what-ifs at ${s.notes} notes: the daemon's I/O pattern alone (lstat + promise readFile per note), one at a time ${show(s.ioPattern.serial, 0)} ms, 32 in flight ${show(s.ioPattern.pooled, 0)} ms; chokidar without its initial scan (ignoreInitial) ${show(s.ioPattern.watcherQuiet, 0)} ms`);
    }
  }
  const t = result.target;
  console.log(`\n  target: ready within ${t.ratio}× of the read-bytes floor at ${t.notes} notes: ${t.measured.toFixed(2)}× → ${t.verdict}`);
  if (result.profile) {
    const p = result.profile;
    console.log(`\n  profile of one start at ${p.notes} notes (whole process): ${p.wallMs} ms wall, ${p.busyMs} ms on the main thread, the rest waiting`);
    printTable('  self time by area', [['area', 'ms', '% of busy'], ...p.byArea.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
    printTable('  inclusive time in src/ functions', [['function', 'ms', '% of busy'], ...p.inclusive.map((l) => [l.name, l.ms.toFixed(0), l.share.toFixed(1)])]);
  }
}
