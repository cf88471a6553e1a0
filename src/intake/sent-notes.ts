import type { Writer } from '../turns/turn-writes.ts';

/**
 * The notes intake took in as sent by a turn, by that turn (TurnWrites hands out one Writer per turn): a
 * note looked at again (a recheck, a requeue, its `queued` write) is not sent again, while a note a
 * turn wrote that intake has not taken in as that turn's (a message the turn edited while it waited in
 * a lane, or wrote `queued` itself) is checked and counted as it is sent.
 */
export class SentNotes {
  readonly #sent = new WeakMap<Writer, Set<string>>();

  has(writer: Writer, vaultPath: string): boolean {
    return this.#sent.get(writer)?.has(vaultPath) ?? false;
  }

  add(writer: Writer, vaultPath: string): void {
    const notes = this.#sent.get(writer) ?? new Set<string>();
    notes.add(vaultPath);
    this.#sent.set(writer, notes);
  }
}
