import type { NoteIndex } from '../intake/note-index.ts';
import { readStatus as readMessageStatus } from '../messages/status.ts';
import type { ActiveMessages } from '../queue/active-messages.ts';
import type { Clock } from '../util/clock.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';

/** Never wait longer than this for a recheck (timers drift; a far deadline is looked at again then). */
const MAX_RECHECK_MS = 60_000 * 60;

export interface RecheckDeps {
  store: NoteStore;
  index: NoteIndex;
  active: ActiveMessages;
  clock: Clock;
  /** Hand a note to intake again (NoteEvents.process). */
  process: (vaultPath: string) => Promise<void>;
  /** The daemon's state changed (status file, dashboard). */
  changed: () => void;
}

/**
 * Messages left waiting (`queued` on the note, in no lane: the agent disabled, over a budget, backing
 * off) are looked at again when something they wait on may have changed: a definition changed, or the
 * time a budget day, a rate window or a retry ends has come.
 */
export class WaitingRechecks {
  readonly #deps: RecheckDeps;
  #timer: NodeJS.Timeout | undefined;
  #time: number | undefined;

  constructor(deps: RecheckDeps) {
    this.#deps = deps;
  }

  /** One timer for the earliest moment a held message may run again. */
  at(when: Date): void {
    const at = when.getTime();
    if (this.#time !== undefined && this.#time <= at) return;
    clearTimeout(this.#timer);
    this.#time = at;
    const delay = Math.max(0, at - this.#deps.clock.now().getTime());
    this.#timer = setTimeout(() => {
      this.#time = undefined;
      // Woken before its time only because a long wait (a month's spending cap) is cut into hours:
      // nothing is due yet, and every waiting note is not read again each hour for nothing.
      if (this.#deps.clock.now().getTime() < at) return this.at(when);
      void this.now();
    }, Math.min(delay + 1_000, MAX_RECHECK_MS));
    this.#timer.unref?.();
  }

  /** Every waiting message gets another look now. */
  async now(): Promise<void> {
    const { store, index, active } = this.#deps;
    this.#deps.changed();
    for (const [vaultPath] of [...index.inbound()]) {
      if (active.has(vaultPath)) continue;
      const raw = await store.readForFields(vaultPath);
      if (raw !== null && isQueued(raw)) {
        // Its bytes are most likely Scriptorium's own `status: queued` write, which the intake drops as
        // "our own write": forget that, or the message would never be looked at again.
        store.ownWrites.forget(vaultPath);
        void this.#deps.process(vaultPath);
      }
    }
  }

  close(): void {
    clearTimeout(this.#timer);
  }
}

function isQueued(raw: string): boolean {
  try {
    return readMessageStatus(parseFrontmatter(raw).data.status) === 'queued';
  } catch {
    return false;
  }
}
