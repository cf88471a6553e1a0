import { isoLocal, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { storageErrorCode } from '../vault/write-health.ts';
import { CHANGED_AFTER_RUN } from './changed-after-run.ts';
import { outboundBaseName, outboundNote } from './outbound.ts';
import { canMove, type MessageStatus } from './status.ts';

export interface OutcomeDeps {
  store: NoteStore;
  clock: Clock;
  logger: Logger;
  /** A message ended (done, error, cancelled): whoever delegated it is called back (delegation/callbacks.ts). */
  ended: (messagePath: string) => Promise<void>;
}

/** What a finished turn leaves on its message. */
export interface TurnEnd {
  ok: boolean;
  /** Stopped because the user set it to `cancelled`: their status stays. */
  cancelled: boolean;
  at: string;
  reply: string;
  /** The failure, in words, when not ok. */
  error: string | undefined;
}

/**
 * The one place a message's status moves, and where a failure becomes what a person sees: an `error:`
 * sentence on the note, a failure note in Outbox/, and a callback to whoever delegated it. Every move is
 * checked against the status table (messages/status.ts): a move it does not allow is a bug here, never a
 * user's edit (the caller says which status it knows the note to have).
 */
export class MessageOutcomes {
  readonly #deps: OutcomeDeps;

  constructor(deps: OutcomeDeps) {
    this.#deps = deps;
  }

  /** Waits for its lane, its agent, a budget or a retry: `status: queued` with why (`fields`). */
  async queue(path: string, from: MessageStatus, fields: FrontmatterData = {}): Promise<void> {
    await this.#move(path, [from, 'queued'], fields);
  }

  /**
   * Its turn starts. From `ready` it was taken by a free lane at once: queued and running in one write,
   * `queuedFields` (what the `queued` write would have set) written with it.
   */
  start(path: string, from: 'ready' | 'queued', fields: FrontmatterData, queuedFields: FrontmatterData = {}): Promise<string | null> {
    return this.#move(path, from === 'ready' ? ['ready', 'queued', 'running'] : [from, 'running'], fields, queuedFields);
  }

  /** A transient failure: back to `queued` until its retry (`retry_at` on the note). */
  async retry(path: string, fields: FrontmatterData): Promise<void> {
    await this.#move(path, ['running', 'queued'], fields);
  }

  /** Cut off by a crash mid-turn (its note may still say `queued` or `ready`): it runs again. */
  async rerun(path: string, from: MessageStatus): Promise<void> {
    await this.#move(path, [from, 'queued'], { recovered: true });
  }

  /**
   * Ends in `error` with a sentence on the note (refused, unreadable, the daemon failed), and whoever
   * delegated it hears. Never throws: a note that cannot be written is reported in the log, and the
   * result is false.
   */
  async fail(path: string, from: MessageStatus, error: string): Promise<boolean> {
    try {
      await this.#move(path, [from, 'error'], { error, finished_at: isoLocal(this.#deps.clock.now()) });
    } catch (writeError) {
      this.#cannotWrite(path, error, writeError);
      return false;
    }
    await this.#deps.ended(path);
    return true;
  }

  /** As `fail`, but a note that cannot be written throws (the caller writes it again later). */
  async failOrThrow(path: string, from: MessageStatus, error: string): Promise<void> {
    await this.#move(path, [from, 'error'], { error, finished_at: isoLocal(this.#deps.clock.now()) });
    await this.#deps.ended(path);
  }

  /** Ends in `error` before any turn ran (its thread could not be opened): a failure note, then the error on the message. */
  async failBeforeTurn(message: { path: string; from: string; status: MessageStatus }, agent: string, threadPath: string, error: string): Promise<void> {
    const { store, clock, logger } = this.#deps;
    const at = clock.now();
    const { dir, base } = outboundBaseName(agent, store.redact(message.path), at);
    let replyPath: string | undefined;
    let reason = error;
    try {
      replyPath = await store.create(dir, base, outboundNote({ agent, to: message.from, inboundPath: message.path, threadPath, at, ok: false, text: error }));
    } catch (writeError) {
      // The failure note could not be written (its folder links outside the vault, say): the message
      // still ends in error, saying both.
      reason = `${error}; the failure note was not written either: ${errorMessage(writeError)}`;
      logger.error('could not write the failure note', { note: message.path, error: errorMessage(writeError) });
    }
    await this.#move(message.path, [message.status, 'error'], { finished_at: isoLocal(at), reply: replyPath ? wikilink(replyPath) : undefined, error: reason });
    logger.warn('message failed before its turn', { note: message.path, error: reason });
    await this.#deps.ended(message.path);
  }

  /**
   * Its turn ended: `done` or `error`, with the reply linked. A turn the user stopped ends `cancelled`:
   * their own status, written back (the turn's `running` write, beside its start, may have landed over
   * their save). False when the note is not there (renamed while it ran: the caller looks for it and
   * calls again).
   */
  async finish(path: string, end: TurnEnd): Promise<boolean> {
    const fields: FrontmatterData = {
      finished_at: end.at,
      reply: wikilink(end.reply),
      error: end.ok || end.cancelled ? undefined : end.error,
      retry_attempt: undefined,
      retry_at: undefined,
      waiting_for: undefined,
      // An answer run (questions/) ends the question too.
      answer: undefined,
      question: undefined,
    };
    const written = end.cancelled
      ? await this.#deps.store.update(path, { status: 'cancelled', ...fields })
      : await this.#move(path, ['running', end.ok ? 'done' : 'error'], fields);
    if (written === null) return false;
    await this.#deps.ended(path);
    return true;
  }

  /**
   * Its turn asked the user a question (`ask_user`): `waiting`, with the reply note that holds the question.
   * It has not ended: no one is called back until its answer has run.
   */
  async wait(path: string, fields: FrontmatterData): Promise<boolean> {
    return (await this.#move(path, ['running', 'waiting'], { retry_attempt: undefined, retry_at: undefined, ...fields })) !== null;
  }

  /** A message that ended some other way (cancelled before it ran): whoever delegated it hears. */
  ended(path: string): Promise<void> {
    return this.#deps.ended(path);
  }

  /**
   * Set (or clear) `error:` on a note whose status is not Scriptorium's to move (a definition, a message
   * with an invalid status, a conflict copy). Written only when it changes, so the write never loops.
   */
  async showError(path: string, current: unknown, error: string | undefined): Promise<void> {
    if ((current ?? undefined) === error) return;
    try {
      await this.#deps.store.update(path, { error });
    } catch (writeError) {
      this.#cannotWrite(path, error, writeError);
    }
  }

  /**
   * The note changed after its turn read it: `changed_after_run` says so (its status is left alone).
   * Written once, while the field is empty, so the write (which the watcher reports) never loops.
   */
  async showChangedAfterRun(path: string, current: unknown, text: string): Promise<void> {
    if (typeof current === 'string' ? current.trim() : current) return;
    try {
      await this.#deps.store.update(path, { [CHANGED_AFTER_RUN]: text });
    } catch (writeError) {
      this.#cannotWrite(path, text, writeError);
    }
  }

  /** A full or read-only disk is said once, by the store's WriteHealth: not again for every note. */
  #cannotWrite(path: string, error: string | undefined, writeError: unknown): void {
    const level = storageErrorCode(writeError) === undefined ? 'error' : 'debug';
    this.#deps.logger[level]('could not write the error onto the note', { note: path, error, writeError: errorMessage(writeError) });
  }

  /** `steps`: the statuses the message passes through, the first the one it has now. */
  async #move(path: string, steps: MessageStatus[], fields: FrontmatterData, leading: FrontmatterData = {}): Promise<string | null> {
    for (let i = 1; i < steps.length; i++) {
      if (!canMove(steps[i - 1]!, steps[i]!)) throw new Error(`${path}: Scriptorium may not move a message from ${steps[i - 1]} to ${steps[i]}`);
    }
    // Fields new to the note are added in this order: status first, as a person reads it.
    return this.#deps.store.update(path, { ...leading, status: steps.at(-1), ...fields });
  }
}
