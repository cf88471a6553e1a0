import type { SettledEntry } from '../intake/settled-notes.ts';
import { HALT_NOTE } from '../state/halt-note.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { realTimers, type Timers } from '../util/timers.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { NoteLine } from './note-line.ts';
import { QuietNotes } from './quiet-notes.ts';
import type { NoteEvent } from './vault-watcher.ts';

/** How a note is handed on: its text when already read, whether our own last write counts, and the cascade flag. */
export interface NoteHandling {
  raw?: string | undefined;
  ignoreOwnWrite?: boolean | undefined;
  /** A definition's change re-reads the other definitions; that re-read does not cascade again. */
  cascade?: boolean | undefined;
  /** Told when intake finds the note, as read, settled (the start-up read keeps it in the notes index). */
  settled?: ((entry: SettledEntry) => void) | undefined;
}

export interface NoteEventsDeps {
  store: NoteStore;
  /** Whether the note was written in place at or after a `performance.now()` time (VaultWatcher.writtenSince). */
  writtenSince: (vaultPath: string, since: number) => boolean;
  /** How long a note must be quiet before it is read (an editor writing in chunks). */
  settleMs: number;
  /** A note renamed into place: how long its writer may still append to it and have that in the turn. */
  wholeGraceMs: number;
  /** How long a message written in place must be quiet before it is taken (`quiet_for`; see QuietNotes). */
  quietMs: number;
  /** The quiet wait's time and timers (tests end it when they choose); the real ones by default. */
  timers?: Timers | undefined;
  logger: Logger;
  /** Take the note in (intake); called one at a time per path, never twice at once for one note. */
  handle: (vaultPath: string, handling: NoteHandling) => Promise<void>;
  /** HALT.md appeared, changed or went away. */
  onHalt: () => void;
  /** The daemon is stopping: nothing more is handed on. */
  closing: () => boolean;
}

/**
 * Watcher events become notes handed to intake: each note once it is quiet (or at once when it arrived
 * whole by a rename), one at a time per path, in the order the events came, and only a few notes at once
 * (note-line.ts): a burst of thousands is taken in a few at a time, the event loop free in between.
 */
export class NoteEvents {
  readonly #deps: NoteEventsDeps;
  readonly #settleTimers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Notes renamed into place and taken in at once, while their grace runs (see #startGrace). */
  readonly #graces = new Map<string, Promise<boolean>>();
  /** The watcher's notes (and those looked at again once quiet) wait here their turn to be taken in. */
  readonly #line = new NoteLine();
  /** When notes were last written in place, and the waits until they are quiet (intake asks, for messages). */
  readonly quiet: QuietNotes;

  constructor(deps: NoteEventsDeps) {
    this.#deps = deps;
    // Looked at again because intake found a message that was not quiet yet: not one of our own writes,
    // even if its text is what the start-up read remembered as ours (daemon/startup.ts).
    const lookAgain = (vaultPath: string) => this.#line.add(() => this.process(vaultPath, { ignoreOwnWrite: true }));
    this.quiet = new QuietNotes({ quietMs: deps.quietMs, timers: deps.timers ?? realTimers, lookAgain });
  }

  onNote(vaultPath: string, event: NoteEvent, whole = false): void {
    const { store, settleMs } = this.#deps;
    if (this.#deps.closing()) return;
    if (vaultPath.toLowerCase() === HALT_NOTE.toLowerCase()) {
      this.#deps.onHalt();
      return;
    }
    // Renamed into place (or gone): whole, whatever was written in place before. A rename not confirmed
    // whole comes back here as a write in place.
    if (whole || event === 'unlink') this.quiet.replaced(vaultPath);
    else this.quiet.written(vaultPath);
    // A note this process wrote (a status, a reply, a thread) is most likely its own write coming back:
    // the settle timer merges a turn's burst of writes into one look, as before.
    if (whole && !this.#settleTimers.has(vaultPath) && !store.ownWrites.hasWritten(vaultPath)) {
      // Renamed into place, so complete: no need to wait for quiet, once that is confirmed.
      const seen = performance.now();
      // The timer stays set until the note is confirmed: a newer event meanwhile takes over.
      const timer = setTimeout(() => {
        this.#line.add(async () => {
          const confirmed = await this.#confirmWhole(vaultPath, seen).catch(() => null);
          if (this.#settleTimers.get(vaultPath) !== timer) return; // a newer event took over
          this.#settleTimers.delete(vaultPath);
          if (confirmed === null) {
            this.onNote(vaultPath, event, false);
            return;
          }
          this.#startGrace(vaultPath, seen, confirmed.version);
          await this.process(vaultPath, { raw: confirmed.raw }, confirmed.version);
        });
      }, 0);
      this.#settleTimers.set(vaultPath, timer);
      return;
    }
    // Wait until the note has been quiet for a moment: an editor may be writing it in pieces.
    clearTimeout(this.#settleTimers.get(vaultPath));
    this.#settleTimers.set(
      vaultPath,
      setTimeout(() => {
        this.#settleTimers.delete(vaultPath);
        this.#line.add(() => this.process(vaultPath));
      }, settleMs),
    );
  }

  /** One note at a time per path; an event arriving meanwhile is handled after. `wholeVersion`: it arrived whole in this version. */
  process(vaultPath: string, handling: NoteHandling = {}, wholeVersion?: string): Promise<void> {
    const previous = this.#inFlight.get(vaultPath) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (this.#deps.closing()) return;
      try {
        // Its reads need not wait for the note to be quiet (see NoteStore.trustWhole).
        if (wholeVersion) this.#deps.store.trustWhole(vaultPath, wholeVersion);
        await this.#deps.handle(vaultPath, handling);
      } catch (error) {
        this.#deps.logger.error('note handling failed', { note: vaultPath, error: errorMessage(error) });
      }
    });
    this.#inFlight.set(vaultPath, next);
    void next.finally(() => {
      if (this.#inFlight.get(vaultPath) === next) this.#inFlight.delete(vaultPath);
    });
    return next;
  }

  /** The grace of a note renamed into place a moment ago: resolves true if it was written to meanwhile. */
  graceOf(vaultPath: string): Promise<boolean> | undefined {
    return this.#graces.get(vaultPath);
  }

  /** Notes waiting to be quiet (for the settle time, or messages for `quiet_for`) or their turn to be taken in. */
  get settling(): number {
    return this.#settleTimers.size + this.quiet.pending + this.#line.pending;
  }

  /** The notes being handled now, to wait on. */
  handling(): Promise<void>[] {
    return [...this.#inFlight.values()];
  }

  /** Stop every settle timer and quiet wait (at shutdown). */
  close(): void {
    this.#settleTimers.forEach(clearTimeout);
    this.#line.clear();
    this.quiet.close();
  }

  /**
   * A note announced by a rename alone may still be a file created in place whose writes come right after
   * (Node's own writeFile opens, then writes). It is read, then every file event that happened before
   * that read is let in (`setImmediate`: after the event loop's poll phase); a write in place among them,
   * a file that changed meanwhile or an empty one means it was not whole. Returns its version and the
   * text read (intake need not read it again), or null.
   */
  async #confirmWhole(vaultPath: string, seen: number): Promise<{ version: string; raw: string } | null> {
    const { store } = this.#deps;
    // A link is refused by intake without being read (it may point anywhere, a device included).
    if (await store.isSymlink(vaultPath)) return null;
    const before = await store.version(vaultPath);
    // A note over the size limit is not read whole here either: it goes the quiet way to intake, which refuses it.
    const read = await store.readBounded(vaultPath);
    const raw = read !== null && 'raw' in read ? read.raw : null;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const after = await store.version(vaultPath);
    if (!raw || before === null || before !== after || this.#deps.writtenSince(vaultPath, seen)) return null;
    return { version: after, raw };
  }

  /**
   * A note renamed into place is taken in at once, but its grace runs on (`wholeGraceMs`, 10 ms; not the
   * settle time): a script renaming a note and appending to it right after (`mv … && echo … >>`) has its
   * whole text run. Meanwhile the turn's process starts (Claude Code loads for a few hundred ms before it
   * reads its prompt), the note is not written by us (NoteStore.holdUpdates), and the prompt goes to the
   * process when the grace is over, read again if the note was written to. A write later than that is an
   * edit made after the message was taken, as with any note.
   */
  #startGrace(vaultPath: string, seen: number, version: string): void {
    const { store, wholeGraceMs } = this.#deps;
    const grace = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, seen + wholeGraceMs - performance.now()))).then(
      async () => this.#deps.writtenSince(vaultPath, seen) || (await store.version(vaultPath)) !== version,
    );
    store.holdUpdates(vaultPath, grace);
    this.#graces.set(vaultPath, grace);
    void grace.finally(() => {
      if (this.#graces.get(vaultPath) === grace) this.#graces.delete(vaultPath);
    });
  }
}
