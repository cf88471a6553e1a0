import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeFolderBelow } from '../util/make-folder.ts';
import type { Logger } from '../util/logger.ts';

/** Write failures that come from the vault's disk, not from one note: they pass when the disk is fixed. */
const CAUSES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'it is read-only',
  EACCES: 'it is not writable by this user',
  EPERM: 'it is not writable by this user',
  EIO: 'the disk reported an input/output error',
};

/** The errno code of a storage failure (ENOSPC, EROFS, ...), or undefined for any other error. */
export function storageErrorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && code in CAUSES ? code : undefined;
}

/** `it is read-only (EROFS)`, or undefined when not a storage failure. */
export function storageCause(error: unknown): string | undefined {
  const code = storageErrorCode(error);
  return code === undefined ? undefined : `${CAUSES[code]} (${code})`;
}

/** `cannot write to the vault at /v: it is read-only (EROFS)`, or undefined when not a storage failure. */
export function storageProblem(root: string, error: unknown): string | undefined {
  const cause = storageCause(error);
  return cause === undefined ? undefined : `cannot write to the vault at ${root}: ${cause}`;
}

/** Write a file in `.scriptorium/` and remove it: throws what any write into the vault would meet now. */
export async function probeWrite(root: string): Promise<void> {
  const dir = path.join(root, '.scriptorium');
  const file = path.join(dir, `write-probe-${process.pid}`);
  await makeFolderBelow(root, dir);
  await writeFile(file, 'probe\n');
  await rm(file, { force: true });
}

/** What waits for the disk: `retry` writes it now; `waiting` says whether anything still does. */
export interface WaitingWrites {
  retry: () => void;
  waiting: () => boolean;
}

/**
 * Whether the vault can be written, as the daemon's writes find it. A full or read-only disk fails every
 * write at once: it is said once when writes start failing and once when they succeed again, never once
 * per note. A write that gets through while notes still wait for the disk (a nearly full disk takes a
 * small note and refuses a large one) has the waiting writes tried at once, but is not yet "written
 * again": that is said when nothing waits any more, so a disk that takes some writes and not others is
 * not said again and again.
 */
export class WriteHealth {
  readonly #root: string;
  readonly #logger: Logger;
  readonly #writes: WaitingWrites;
  #failing: string | undefined;

  constructor(root: string, logger: Logger, writes: WaitingWrites = { retry: () => {}, waiting: () => false }) {
    this.#root = root;
    this.#logger = logger;
    this.#writes = writes;
  }

  /** True when the vault's disk is the cause (logged once until writes succeed again). */
  failed(error: unknown, file: string): boolean {
    const problem = storageProblem(this.#root, error);
    if (problem === undefined) return false;
    if (this.#failing === undefined) {
      this.#logger.error('cannot write to the vault; notes are written once it can be written again', { vault: this.#root, cause: storageCause(error), file });
    }
    this.#failing = problem;
    return true;
  }

  /** A write succeeded (and, from WriteRetries, the last waiting write was written). */
  succeeded(): void {
    if (this.#failing === undefined) return;
    if (this.#writes.waiting()) {
      this.#writes.retry();
      return;
    }
    this.#failing = undefined;
    this.#logger.info('the vault can be written again', { vault: this.#root });
  }

  /** The storage problem writes last met, while it lasts. */
  get failing(): string | undefined {
    return this.#failing;
  }
}
