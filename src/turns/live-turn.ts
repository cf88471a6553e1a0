import type { TurnProgress } from '../runner/types.ts';
import { appendSection, renderLiveBlock, replaceLiveBlock, type LiveTurnView } from '../threads/live-block.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';

export interface LiveTurnDeps {
  store: Pick<NoteStore, 'edit' | 'redact'>;
  clock: Clock;
  logger: Logger;
  /** The first look is this long after the turn starts, and the section is written at most this often. */
  intervalMs: number;
}

export type LiveTurnStart = Omit<LiveTurnView, 'tools' | 'lastActivity'> & { threadPath: string };

/**
 * A running turn shown in its thread note (threads/live-block.ts): every `intervalMs` its section is
 * rendered again and written when it reads differently (a tool call, a retry, another minute). A turn
 * that ends before the first look writes nothing: a quick turn pays no write for being watchable.
 * Each write re-reads the note and replaces only the section as last written, so what the user types
 * elsewhere in the note is kept; once they edit or remove the section, it is left alone for the rest of
 * the turn. When the turn ends its record takes the section's place (turns/turn-notes.ts).
 */
export class LiveTurn {
  readonly #deps: LiveTurnDeps;
  readonly #turn: LiveTurnStart;
  readonly #tools: string[] = [];
  #lastActivity: LiveTurnView['lastActivity'];
  /** The section as last written; undefined until the first write. */
  #shown: string | undefined;
  /** The user edited or removed the section, or the note is gone: no more writes. */
  #leftAlone = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(deps: LiveTurnDeps, turn: LiveTurnStart) {
    this.#deps = deps;
    this.#turn = turn;
    this.#schedule();
  }

  /** What the turn's process reports: a tool call, a retry of the API. */
  saw(progress: TurnProgress): void {
    const what = activityOf(progress);
    if (what === undefined) return;
    if (progress.type === 'tool') this.#tools.push(progress.name);
    this.#lastActivity = { at: this.#deps.clock.now(), what };
  }

  /** No more writes; resolves once one under way is done, so the turn's record is written after it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
  }

  #schedule(): void {
    if (this.#stopped || this.#leftAlone) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writing = this.#refresh().finally(() => this.#schedule());
    }, this.#deps.intervalMs);
    // A running turn keeps the daemon alive, not its view.
    this.#timer.unref?.();
  }

  async #refresh(): Promise<void> {
    const { store, clock, logger } = this.#deps;
    const { threadPath, ...turn } = this.#turn;
    const view: LiveTurnView = { ...turn, tools: this.#tools, lastActivity: this.#lastActivity };
    const block = renderLiveBlock(view, clock.now(), store.redact);
    if (block === this.#shown) return;
    const shown = this.#shown;
    let placed = false;
    try {
      // Not called when the note is gone (or too big to hold whole): then nothing is placed either.
      await store.edit(threadPath, (raw) => {
        const next = shown === undefined ? appendSection(raw, block) : replaceLiveBlock(raw, shown, block);
        placed = next !== null;
        return next;
      });
    } catch (error) {
      // A full disk, say (said once by the store's health): the next look tries again.
      logger.debug('could not show the running turn in its thread note', { note: threadPath, error: errorMessage(error) });
      return;
    }
    if (placed) {
      if (shown === undefined) logger.debug('running turn shown in its thread note', { note: threadPath });
      this.#shown = block;
      return;
    }
    this.#leftAlone = true;
    if (shown !== undefined) logger.info("the running turn's section in the thread note was edited or removed; left as it is", { note: threadPath });
  }
}

/** What a report shows as the turn's last activity; undefined for what a person need not see. */
function activityOf(progress: TurnProgress): string | undefined {
  switch (progress.type) {
    case 'started':
      return 'Claude Code started';
    case 'init':
      return 'session opened';
    case 'tool':
      return progress.name;
    case 'retry':
      return `the API failed (${progress.error}); retry ${progress.attempt} of ${progress.maxRetries}`;
    case 'result':
      return 'answered';
    case 'write':
      // Named by a tool call, already counted as that tool (or a sub-agent's, which the record leaves out too).
      return undefined;
  }
}
