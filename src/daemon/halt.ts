import type { DaemonEvents } from '../state/events.ts';
import { HALT_NOTE, haltReason } from '../state/halt-note.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';

export interface HaltDeps {
  store: NoteStore;
  lanes: { pause(): void; resume(): void };
  clock: Clock;
  logger: Logger;
  events: DaemonEvents;
  /** The halt was lifted: fires missed meanwhile catch up (Scheduler.resumed). */
  resumed: () => Promise<void>;
  /** The daemon's state changed (status file, dashboard). */
  changed: () => void;
}

/**
 * `HALT.md` at the vault root stops every new turn and every fire; running turns finish. Its mere
 * presence halts: an unreadable or empty HALT counts. Removing it goes on with what waited.
 */
export class HaltSwitch {
  readonly #deps: HaltDeps;
  #halted = false;
  #reason: string | undefined;
  #checks: Promise<void> = Promise.resolve();

  constructor(deps: HaltDeps) {
    this.#deps = deps;
  }

  get halted(): boolean {
    return this.#halted;
  }

  get reason(): string | undefined {
    return this.#reason;
  }

  /** Look at HALT.md now. Never rejects. */
  check(): Promise<void> {
    // One look at a time: HALT.md created and deleted in quick succession must end in the last state.
    this.#checks = this.#checks.then(() => this.#apply()).catch((error) => {
      this.#deps.logger.error('halt check failed', { error: errorMessage(error) });
    });
    return this.#checks;
  }

  async #apply(): Promise<void> {
    const { store, lanes, logger, events, clock } = this.#deps;
    const raw = await store.readIfExists(HALT_NOTE).catch(() => '');
    const halted = raw !== null || store.exists(HALT_NOTE);
    if (halted === this.#halted) return;
    this.#halted = halted;
    if (halted) {
      this.#reason = haltReason(raw ?? '');
      lanes.pause();
      logger.warn('halted: no new turns until HALT.md is removed', { reason: this.#reason });
    } else {
      this.#reason = undefined;
      lanes.resume();
      logger.info('halt lifted: going on with what waited');
      await this.#deps.resumed();
    }
    events.emit({ type: 'halt', data: { halted, reason: this.#reason, at: isoLocal(clock.now()) } });
    this.#deps.changed();
  }
}
