import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { WriteHealth } from '../vault/write-health.ts';

/** A write failing for a reason other than the disk (a bug, a folder where a note should be) is tried this often. */
const MAX_OTHER_FAILURES = 3;

export interface WriteRetriesDeps {
  logger: Logger;
  health: WriteHealth;
  /** First wait before writing again; doubles each time, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** A write that keeps failing not for the disk's sake: the message ends in `error` with this sentence. */
  giveUp: (messagePath: string, error: string) => Promise<boolean>;
}

interface Pending {
  write: () => Promise<void>;
  attempt: number;
  otherFailures: number;
  timer: NodeJS.Timeout | undefined;
  writing: boolean;
}

/**
 * The notes a message's turn could not write (a full disk, a read-only vault): written again, with
 * backoff, until they are, so the message ends `done` or `error` and is never left `running` with nothing
 * running it. The turn is not run again: its result is kept (in memory, and in the journal when that
 * could be written), and each write here is one that finds what is already there and skips it.
 */
export class WriteRetries {
  readonly #deps: WriteRetriesDeps;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  constructor(deps: WriteRetriesDeps) {
    this.#deps = deps;
  }

  /** `write` failed with `error` for this message: try it again later (replacing any write waiting for it). */
  later(messagePath: string, write: () => Promise<void>, error: unknown): void {
    if (this.#closed) return;
    const storage = this.#deps.health.failed(error, messagePath);
    const previous = this.#pending.get(messagePath);
    if (previous) clearTimeout(previous.timer);
    const entry: Pending = { write, attempt: previous?.attempt ?? 0, otherFailures: storage ? 0 : 1, timer: undefined, writing: false };
    this.#pending.set(messagePath, entry);
    // A storage failure is said once by WriteHealth, not once per message.
    this.#deps.logger[storage ? 'debug' : 'warn']('notes not written; trying again later', { note: messagePath, error: errorMessage(error) });
    this.#schedule(messagePath, entry);
  }

  /** Whether this message has notes waiting to be written. */
  has(messagePath: string): boolean {
    return this.#pending.has(messagePath);
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Writes succeed again: every waiting write is tried now rather than at its backoff. */
  now(): void {
    for (const [messagePath, entry] of this.#pending) {
      if (entry.writing) continue;
      clearTimeout(entry.timer);
      void this.#attempt(messagePath, entry);
    }
  }

  /** Waiting writes are dropped: the journal has what a restart needs to write them (state/recovery.ts). */
  close(): void {
    this.#closed = true;
    for (const entry of this.#pending.values()) clearTimeout(entry.timer);
    this.#pending.clear();
  }

  #schedule(messagePath: string, entry: Pending): void {
    const delay = Math.min(this.#deps.baseMs * 2 ** entry.attempt, this.#deps.maxMs);
    entry.timer = setTimeout(() => void this.#attempt(messagePath, entry), delay);
    entry.timer.unref?.();
  }

  async #attempt(messagePath: string, entry: Pending): Promise<void> {
    if (this.#closed || this.#pending.get(messagePath) !== entry || entry.writing) return;
    entry.writing = true;
    entry.attempt++;
    try {
      await entry.write();
      if (this.#pending.get(messagePath) === entry) this.#pending.delete(messagePath);
      this.#deps.logger.info('notes written after an earlier failure', { note: messagePath, attempts: entry.attempt + 1 });
      // The last of them: now the vault counts as written again (said once, by WriteHealth).
      if (this.#pending.size === 0) this.#deps.health.succeeded();
    } catch (error) {
      if (this.#closed || this.#pending.get(messagePath) !== entry) return;
      if (!this.#deps.health.failed(error, messagePath) && ++entry.otherFailures >= MAX_OTHER_FAILURES) {
        this.#pending.delete(messagePath);
        this.#deps.logger.error('notes could not be written; the message ends in error', { note: messagePath, error: errorMessage(error) });
        const sentence = `Scriptorium could not write this message's notes: ${errorMessage(error)}. Set status back to ready to run it again.`;
        if (await this.#deps.giveUp(messagePath, sentence)) return;
        this.#pending.set(messagePath, entry); // not even the error could be written: keep trying
      }
      this.#schedule(messagePath, entry);
    } finally {
      entry.writing = false;
    }
  }
}
