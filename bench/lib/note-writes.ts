import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How a note lands the way Scriptorium and most sync tools write it: the whole text into a hidden temp
 * file beside the note, fsynced, then renamed over the note. Synchronous, so the time returned is the
 * moment the rename finished and no watcher callback can have run before it.
 */
export function writeAtomically(root: string, vaultPath: string, text: string): number {
  const target = path.join(root, ...vaultPath.split('/'));
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
  return performance.now();
}

/**
 * How an editor writes: the note itself truncated, then its text in `chunks` pieces `gapMs` apart.
 * Returns when the first byte and the last byte landed.
 */
export async function writeInChunks(root: string, vaultPath: string, text: string, chunks: number, gapMs: number): Promise<{ first: number; last: number }> {
  const target = path.join(root, ...vaultPath.split('/'));
  mkdirSync(path.dirname(target), { recursive: true });
  const size = Math.ceil(text.length / chunks);
  const fd = openSync(target, 'w');
  const first = performance.now();
  let last = first;
  try {
    for (let i = 0; i < chunks; i++) {
      if (i > 0) await sleep(gapMs);
      writeSync(fd, text.slice(i * size, (i + 1) * size));
      last = performance.now();
    }
  } finally {
    closeSync(fd);
  }
  return { first, last };
}
