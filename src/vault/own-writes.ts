import { createHash } from 'node:crypto';

/**
 * Notes remembered at most: a write's own event comes back from the watcher within moments, so only the
 * latest writes need remembering. Bounded, so a daemon that has written for a year holds no more than a
 * fresh one (a hash and a path each: about 2 MB at most).
 */
const REMEMBERED = 10_000;

/**
 * What Scriptorium itself last wrote to each note, by content hash. The watcher reads a changed note and
 * drops the event when the bytes are exactly what we wrote: our own writes never wake anything, while
 * a user's edit a moment later (different bytes) still does.
 */
export class OwnWrites {
  readonly #last = new Map<string, string>();

  remember(vaultPath: string, content: string): void {
    // Deleted first, so the map's order is the order of the last writes and the oldest goes first.
    this.#last.delete(vaultPath);
    this.#last.set(vaultPath, hashOf(content));
    if (this.#last.size > REMEMBERED) this.#last.delete(this.#last.keys().next().value!);
  }

  isOwn(vaultPath: string, content: string): boolean {
    return this.#last.get(vaultPath) === hashOf(content);
  }

  hasWritten(vaultPath: string): boolean {
    return this.#last.has(vaultPath);
  }

  forget(vaultPath: string): void {
    this.#last.delete(vaultPath);
  }

  /** How many notes are remembered (bounded by REMEMBERED). */
  get size(): number {
    return this.#last.size;
  }
}

export function hashOf(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}
