import type { Timers } from '../util/timers.ts';

/**
 * Past this many notes remembered, those quiet long enough are dropped (most are ordinary notes, never
 * asked about); the next look is when twice as many remain, so a sync writing thousands of notes in place
 * does not pay a pass over all of them for each.
 */
const PRUNE_AT = 1_000;

export interface QuietNotesDeps {
  /** How long a message written in place must be quiet before it is taken (`quiet_for`). */
  quietMs: number;
  timers: Timers;
  /** The note has now been quiet long enough: hand it on again (NoteEvents.process). */
  lookAgain: (vaultPath: string) => void;
}

/**
 * When each note was last written in place, and the waits for it to be quiet. An editor saves the note
 * being typed every second or two (Obsidian: about every 2 s while you type), so a message written in
 * place is taken only once it has been quiet for `quiet_for`: taken sooner, it would run with what was
 * typed so far. A note renamed into place arrived whole: it has no wait, and what was known of its
 * earlier writes in place goes with the file it replaced.
 */
export class QuietNotes {
  readonly #deps: QuietNotesDeps;
  readonly #writtenAt = new Map<string, number>();
  /** Looks at a note once it is quiet (`lookWhenQuiet`), by path: the token and its cancel. */
  readonly #looks = new Map<string, { cancel: () => void }>();
  /** Waits in `until`, with their note: each ends its wait at once, to look again (a write, a rename, close). */
  readonly #sleeps = new Map<() => void, string>();
  #pruneAt = PRUNE_AT;
  #closed = false;

  constructor(deps: QuietNotesDeps) {
    this.#deps = deps;
  }

  get quietMs(): number {
    return this.#deps.quietMs;
  }

  /**
   * The note was written in place (`agoMs` ago: a note found at start). A look planned for it is dropped:
   * the write's own event is handed on after the settle time, and decides again.
   */
  written(vaultPath: string, agoMs = 0): void {
    const at = this.#deps.timers.now() - Math.max(0, agoMs);
    this.#writtenAt.set(vaultPath, Math.max(at, this.#writtenAt.get(vaultPath) ?? Number.NEGATIVE_INFINITY));
    this.#cancelLook(vaultPath);
    this.#wake(vaultPath);
    if (this.#writtenAt.size > this.#pruneAt) {
      for (const path of [...this.#writtenAt.keys()]) this.left(path);
      this.#pruneAt = Math.max(PRUNE_AT, this.#writtenAt.size * 2);
    }
  }

  /**
   * The note was replaced by a rename (it arrived whole), removed, or is now what Scriptorium itself
   * wrote: no write in place counts any more.
   */
  replaced(vaultPath: string): void {
    this.#cancelLook(vaultPath);
    if (this.#writtenAt.delete(vaultPath)) this.#wake(vaultPath);
  }

  /** Milliseconds until the note has been quiet for `quiet_for` since its last write in place; 0 when it has. */
  left(vaultPath: string): number {
    const at = this.#writtenAt.get(vaultPath);
    if (at === undefined) return 0;
    const left = at + this.#deps.quietMs - this.#deps.timers.now();
    if (left > 0) return left;
    this.#writtenAt.delete(vaultPath);
    return 0;
  }

  /** Hand the note on again once it has been quiet for `quiet_for` (a write meanwhile puts this off). */
  lookWhenQuiet(vaultPath: string): void {
    this.#cancelLook(vaultPath);
    if (this.#closed) return;
    const look = { cancel: () => {} };
    look.cancel = this.#deps.timers.after(this.left(vaultPath), () => {
      if (this.#looks.get(vaultPath) !== look) return;
      this.#looks.delete(vaultPath);
      this.#deps.lookAgain(vaultPath);
    });
    this.#looks.set(vaultPath, look);
  }

  /**
   * Resolves true once the note has been quiet for `quiet_for` (at once if it has), false if closed while
   * it waited. `waiting` is called once, when it has to wait.
   */
  async until(vaultPath: string, waiting?: () => void): Promise<boolean> {
    let said = false;
    for (let left = this.left(vaultPath); left > 0; left = this.left(vaultPath)) {
      if (this.#closed) return false;
      if (!said) waiting?.();
      said = true;
      await new Promise<void>((resolve) => {
        let cancel = () => {};
        const wake = () => {
          cancel();
          this.#sleeps.delete(wake);
          resolve();
        };
        this.#sleeps.set(wake, vaultPath);
        cancel = this.#deps.timers.after(left, wake);
      });
    }
    return true;
  }

  /** Looks planned and waits under way. */
  get pending(): number {
    return this.#looks.size + this.#sleeps.size;
  }

  /** At shutdown: no look is taken any more, and every wait ends now. */
  close(): void {
    this.#closed = true;
    for (const look of this.#looks.values()) look.cancel();
    this.#looks.clear();
    for (const wake of [...this.#sleeps.keys()]) wake();
  }

  #wake(vaultPath: string): void {
    for (const [wake, path] of [...this.#sleeps]) if (path === vaultPath) wake();
  }

  #cancelLook(vaultPath: string): void {
    this.#looks.get(vaultPath)?.cancel();
    this.#looks.delete(vaultPath);
  }
}
