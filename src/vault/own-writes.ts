import { createHash } from 'node:crypto';

/**
 * What Scriptorium itself last wrote to each note, by content hash. The watcher reads a changed note and
 * drops the event when the bytes are exactly what we wrote: our own writes never wake anything, while
 * a user's edit a moment later (different bytes) still does.
 */
export class OwnWrites {
  readonly #last = new Map<string, string>();

  remember(vaultPath: string, content: string): void {
    this.#last.set(vaultPath, hashOf(content));
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
}

export function hashOf(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}
