import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { hashOf } from '../vault/own-writes.ts';
import { identityKey, SETTLED_NOTES_FILE, settledLine, STILL_FOR_MS, type SettledEntry } from './settled-notes.ts';

/** How often the notes reported settled are looked at again and appended to the index. */
const CONFIRM_EVERY_MS = 60_000;
/** Lines appended in one run beyond the notes the index held at start: then no more until the next start. */
const APPEND_ALLOWANCE = 10_000;

export interface SettledWhileRunningDeps {
  /** Where notes really are (NoteStore.absolute: throws for a path a link leads outside the vault), and their size limit. */
  store: { absolute(vaultPath: string): string; maxNoteBytes: number };
  /** When a note was reported, and whether its file has been still long enough (the file system's clock). */
  clock: Clock;
  logger: Logger;
  /** A message in a lane or running: not vouched for until its turn is over. */
  busy: (vaultPath: string) => boolean;
  /** The confirming tick's timer (tests run it when they choose); an unref'd setInterval by default. */
  every?: ((ms: number, fn: () => void) => () => void) | undefined;
  /** Lines a run may append beyond the notes the index held at start (APPEND_ALLOWANCE by default). */
  allowance?: number | undefined;
}

interface Candidate {
  hash: string;
  entry: SettledEntry;
  seenAt: number;
}

/**
 * Notes intake found settled while the daemon runs (a message it finished, a reply it wrote, a thread
 * once its turn is over), added to the notes index as they settle, so the next start need not parse a
 * month of them. A note is vouched for only as the file it is now: each is read again, a while after it
 * was reported, and appended only if its text is still exactly the text intake decided on, its identity
 * did not move across that read, and it has been still for longer than a clock tick (as at start). One
 * line appended per note, never the index rewritten: the next start compacts it.
 */
export class SettledWhileRunning {
  readonly #deps: SettledWhileRunningDeps;
  readonly #candidates = new Map<string, Candidate>();
  /** The key last appended for each note: the same file is not appended twice. */
  readonly #appended = new Map<string, string>();
  #lines = 0;
  /** Lines this run may append (set by `begin`); appending stops past it, or at a failed append. */
  #limit = 0;
  #appending = false;
  #stopTimer: (() => void) | undefined;
  #confirming: Promise<void> = Promise.resolve();

  constructor(deps: SettledWhileRunningDeps) {
    this.#deps = deps;
  }

  /** Intake found the note, as `raw`, settled by the rules start uses; a later report for it replaces this one. */
  seen(vaultPath: string, raw: string, entry: SettledEntry): void {
    this.#candidates.set(vaultPath, { hash: hashOf(raw), entry, seenAt: this.#deps.clock.now().getTime() });
    this.#deps.logger.debug('note settled; for the notes index once still', { note: vaultPath });
  }

  /** The note is gone, or intake found it not settled: nothing is vouched for it. */
  unsettled(vaultPath: string): void {
    this.#candidates.delete(vaultPath);
  }

  get pending(): number {
    return this.#candidates.size;
  }

  /**
   * The start has written the index (`notes`: how many it holds): appends go after it from now on. Before
   * this, reports wait: a line appended to the file start is about to replace would be lost.
   */
  begin(notes: number): void {
    if (this.#stopTimer) return;
    this.#limit = notes + (this.#deps.allowance ?? APPEND_ALLOWANCE);
    this.#appending = true;
    const every = this.#deps.every ?? unrefEvery;
    this.#stopTimer = every(CONFIRM_EVERY_MS, () => void this.confirm());
  }

  /** Each note reported a while ago looked at again; those that hold, appended. One look at a time. */
  confirm(): Promise<void> {
    this.#confirming = this.#confirming.then(() => this.#confirm());
    return this.#confirming;
  }

  /** At stop: the timer ends, and what settled since the last look is looked at once more. */
  async close(): Promise<void> {
    this.#stopTimer?.();
    await this.confirm();
    this.#appending = false;
    this.#candidates.clear();
  }

  async #confirm(): Promise<void> {
    if (!this.#appending) return;
    const now = this.#deps.clock.now().getTime();
    const lines: string[] = [];
    const keys = new Map<string, string>();
    for (const [vaultPath, candidate] of [...this.#candidates]) {
      // Reported a moment ago: likely to change again (the turn's next write); looked at next time.
      if (now - candidate.seenAt < STILL_FOR_MS || this.#deps.busy(vaultPath)) continue;
      const outcome = await this.#check(vaultPath, candidate, now);
      if (outcome === 'wait') continue;
      // Replaced by a newer report meanwhile: that one is looked at next time.
      if (this.#candidates.get(vaultPath) === candidate) this.#candidates.delete(vaultPath);
      if (outcome === 'no' || this.#appended.get(vaultPath) === outcome) continue;
      keys.set(vaultPath, outcome);
      lines.push(settledLine(vaultPath, outcome, candidate.entry));
    }
    if (lines.length === 0) return;
    if (this.#lines + lines.length > this.#limit) {
      // Stale lines are harmless (their keys match no file), but the file must not grow without end.
      this.#stop('the notes index has had as many notes appended as this run allows; the rest are read at the next start');
      return;
    }
    try {
      await this.#append(lines.join(''));
    } catch (error) {
      // A line cut short by a full disk, say, must be the file's last: nothing more is appended.
      this.#stop('could not add to the notes index; notes settled since are read at the next start', error);
      return;
    }
    this.#lines += lines.length;
    for (const [vaultPath, key] of keys) this.#appended.set(vaultPath, key);
    this.#deps.logger.debug('notes index added to', { notes: lines.length });
  }

  /**
   * The note's identity key when the file holds exactly the text reported and has been still long enough;
   * 'wait' when it is that text but written too recently to vouch for; 'no' otherwise.
   */
  async #check(vaultPath: string, candidate: Candidate, now: number): Promise<string | 'wait' | 'no'> {
    const { store } = this.#deps;
    let handle: FileHandle;
    try {
      // Never through a link: the note itself (O_NOFOLLOW), nor a folder on the way leading out (absolute).
      handle = await open(store.absolute(vaultPath), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return 'no';
    }
    try {
      const before = await handle.stat();
      if (!before.isFile() || before.size > store.maxNoteBytes) return 'no';
      // One byte more than the size: a note growing as it is read is seen.
      const buffer = Buffer.alloc(before.size + 1);
      let total = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
        if (bytesRead === 0 || (total += bytesRead) === buffer.length) break;
      }
      const after = await handle.stat();
      const key = identityKey(before);
      if (total !== before.size || identityKey(after) !== key) return 'no';
      if (hashOf(buffer.subarray(0, total).toString('utf8')) !== candidate.hash) return 'no';
      if (now - before.ctimeMs < STILL_FOR_MS || now - before.mtimeMs < STILL_FOR_MS) return 'wait';
      return key;
    } catch {
      return 'no';
    } finally {
      await handle.close().catch(() => {});
    }
  }

  /** The lines added at the end of the index the start wrote (not created: no file, no appending). */
  async #append(text: string): Promise<void> {
    const handle = await open(this.#deps.store.absolute(SETTLED_NOTES_FILE), constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    try {
      await handle.writeFile(text, 'utf8');
    } finally {
      await handle.close();
    }
  }

  #stop(message: string, error?: unknown): void {
    this.#appending = false;
    this.#candidates.clear();
    this.#stopTimer?.();
    this.#deps.logger.info(message, error === undefined ? { file: SETTLED_NOTES_FILE } : { file: SETTLED_NOTES_FILE, error: errorMessage(error) });
  }
}

/** A repeating timer that never keeps the process alive. */
function unrefEvery(ms: number, fn: () => void): () => void {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
}
