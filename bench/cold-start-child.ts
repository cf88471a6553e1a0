// One cold start in a fresh process (spawned by cold-start.ts): time until the work is done, and peak
// RSS. Variants:
//   node      nothing: the RSS of node itself, to read the others against
//   floor     read every note's bytes once (synchronous walk and reads: the fastest way in Node)
//   naive     the floor plus gray-matter on every full file
//   watcher   chokidar with the daemon's options, until its initial scan is ready
//   daemon    Scriptorium: new Daemon(...).start() until it resolves (scan, classify, recover, schedule)
// and two what-ifs that isolate the daemon's I/O pattern (an lstat and a promise readFile per note):
//   serial-io  one note at a time, each awaited before the next (as Daemon.#start handles the scan)
//   pooled-io  the same calls, 32 notes in flight
// and what chokidar costs when it only sets up its watches (ignoreInitial: true, no scan reported):
//   watcher-quiet
//
//   node bench/cold-start-child.ts <variant> <vault>
import { readdirSync, readFileSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { reportToParent } from './lib/child.ts';

export type ColdVariant = 'node' | 'floor' | 'naive' | 'watcher' | 'watcher-quiet' | 'daemon' | 'serial-io' | 'pooled-io';

export interface ColdFigures {
  variant: ColdVariant;
  ms: number;
  /** Loading the code that does the work (the daemon's modules, gray-matter, chokidar). */
  importMs: number;
  maxRssMiB: number;
  /** Notes seen (read, parsed or reported): every variant must see the same vault. */
  notes: number;
  /** The daemon only: agents it loaded, and the notes it wrote while starting (a dashboard, say). */
  agents?: number;
  written?: string[];
  /** The daemon only: where its start went (ms). */
  phases?: { beforeScan: number; scan: number; classify: number; afterClassify: number };
  /**
   * The daemon only: from the start to chokidar watching every folder and the look over the vault that
   * follows (after "ready": until then, a change lands in the daemon late, at that look, not lost).
   */
  watchedMs?: number;
}

/** Markdown files outside dot-folders and node_modules: what the daemon reads. */
function walk(root: string, onNote: (file: string) => void): void {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) walk(full, onNote);
    else if (entry.isFile() && /\.md$/i.test(entry.name)) onNote(full);
  }
}

async function measure(variant: ColdVariant, root: string): Promise<Omit<ColdFigures, 'maxRssMiB' | 'variant'>> {
  const importStart = performance.now();
  switch (variant) {
    case 'node':
      return { ms: 0, importMs: 0, notes: 0 };
    case 'floor': {
      const t0 = performance.now();
      let notes = 0;
      walk(root, (file) => {
        readFileSync(file);
        notes++;
      });
      return { ms: performance.now() - t0, importMs: 0, notes };
    }
    case 'naive': {
      const { default: matter } = await import('gray-matter');
      const t0 = performance.now();
      let notes = 0;
      walk(root, (file) => {
        const raw = readFileSync(file, 'utf8');
        try {
          matter(raw);
        } catch {
          // A note with broken YAML: the naive reader skips it, as it would have to.
        }
        notes++;
      });
      return { ms: performance.now() - t0, importMs: t0 - importStart, notes };
    }
    case 'serial-io':
    case 'pooled-io': {
      const files: string[] = [];
      walk(root, (file) => files.push(file));
      const t0 = performance.now();
      const one = async (file: string) => {
        await lstat(file);
        await readFile(file, 'utf8');
      };
      if (variant === 'serial-io') {
        for (const file of files) await one(file);
      } else {
        let next = 0;
        await Promise.all(Array.from({ length: 32 }, async () => {
          while (next < files.length) await one(files[next++]!);
        }));
      }
      return { ms: performance.now() - t0, importMs: 0, notes: files.length };
    }
    case 'watcher':
    case 'watcher-quiet': {
      const { bareWatcher } = await import('./lib/bare-watcher.ts');
      const t0 = performance.now();
      let notes = 0;
      const { ready, watcher } = bareWatcher(root, () => notes++, { ignoreInitial: variant === 'watcher-quiet' });
      await ready;
      const ms = performance.now() - t0;
      await watcher.close();
      // Quiet, it reports nothing: count what the others see so the check on notes seen holds.
      if (variant === 'watcher-quiet') {
        notes = 0;
        walk(root, () => notes++);
      }
      return { ms, importMs: t0 - importStart, notes };
    }
    case 'daemon': {
      const { Daemon } = await import('../src/daemon/daemon.ts');
      const { installProbe } = await import('./lib/probe.ts');
      const { instantRunner } = await import('./lib/instant-runner.ts');
      const probe = installProbe();
      probe.reset(false, root);
      let notes = 0;
      let agents = 0;
      const written = new Set<string>();
      // Marks from the daemon's own debug lines: the vault read, the notes that may be ours handled, and
      // chokidar watching every folder (after ready).
      let readFrom = Number.NaN;
      let readDone = Number.NaN;
      let handled = Number.NaN;
      let watched: (at: number) => void = () => {};
      const watchedAt = new Promise<number>((resolve) => (watched = resolve));
      probe.on((mark) => {
        if (mark.kind !== 'log') return;
        if (mark.what === 'reading the vault') readFrom = mark.at;
        if (mark.what === 'vault read') {
          readDone = mark.at;
          notes = Number(mark.fields?.notes ?? 0);
        }
        if (mark.what === 'start-up notes handled') handled = mark.at;
        if (mark.what === 'agent definition loaded') agents++;
        if (mark.what === 'watching vault') watched(mark.at);
      });
      probe.on((mark) => {
        if (mark.kind === 'write' && !mark.path.startsWith('.') && !path.isAbsolute(mark.path)) written.add(mark.path);
      });
      const t0 = performance.now();
      const daemon = new Daemon({ vault: root, runner: instantRunner(), logger: probe.logger() });
      await daemon.start();
      const ms = performance.now() - t0;
      const watchedMs = (await Promise.race([watchedAt, new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 30_000))])) - t0;
      await daemon.close();
      const phases = { beforeScan: readFrom - t0, scan: readDone - readFrom, classify: handled - readDone, afterClassify: t0 + ms - handled };
      return { ms, importMs: t0 - importStart, notes, agents, written: [...written], phases, watchedMs };
    }
  }
}

const [variant, root] = process.argv.slice(2) as [ColdVariant, string];
const figures = await measure(variant, root);
reportToParent({ variant, ...figures, maxRssMiB: process.resourceUsage().maxRSS / 1024 } satisfies ColdFigures);
