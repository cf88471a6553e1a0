import type { NoteRole } from '../vault/tags.ts';

/** What the daemon remembers about a note between events. */
export interface IndexEntry {
  role: NoteRole;
  /** Inbound notes: the agent addressed, to re-check waiting messages when a definition changes. */
  to?: string | undefined;
  /** Inbound notes: where a callback goes, and the fan-in group, to find a group's members. */
  replyTo?: string | undefined;
  group?: string | undefined;
  /** Callbacks: the message that started the delegation (`origin_message`). */
  origin?: string | undefined;
}

/**
 * The notes of the vault that are Scriptorium's, as last read: written by intake only, read by the
 * stages that need to find a note (a fan-in group's members, a thread by name, a message renamed while it
 * ran) and by the dashboard (notes whose `error:` is set).
 */
export class NoteIndex {
  readonly #entries = new Map<string, IndexEntry>();
  readonly #threads = new Set<string>();
  /** Inbound and definition notes whose `error:` is set now, with it: the dashboard's "needs attention". */
  readonly #errors = new Map<string, string>();

  get(path: string): IndexEntry | undefined {
    return this.#entries.get(path);
  }

  set(path: string, entry: IndexEntry): void {
    this.#entries.set(path, entry);
    if (entry.role === 'thread') this.#threads.add(path);
  }

  /** Drop what was known of the note; returns what that was. */
  forget(path: string): IndexEntry | undefined {
    const previous = this.#entries.get(path);
    this.#entries.delete(path);
    this.#threads.delete(path);
    this.#errors.delete(path);
    return previous;
  }

  /** A thread note Scriptorium created (known before the watcher reports it). */
  addThread(path: string): void {
    this.#threads.add(path);
  }

  /** Thread notes, for `thread:` links by name (live: it follows later changes). */
  threads(): Iterable<string> {
    return this.#threads;
  }

  /** Inbound notes, with what was read of each. */
  *inbound(): Iterable<[string, IndexEntry]> {
    for (const [path, entry] of this.#entries) if (entry.role === 'inbound') yield [path, entry];
  }

  /** Inbound notes addressed to one agent. */
  inboundTo(agent: string): string[] {
    return [...this.inbound()].filter(([, e]) => e.to === agent).map(([p]) => p);
  }

  /** The members of a fan-in group: inbound notes sharing `reply_to` and `group`. */
  groupMembers(replyTo: string, group: string): string[] {
    return [...this.inbound()].filter(([, e]) => e.replyTo === replyTo && e.group === group).map(([p]) => p);
  }

  /** Record the note's `error:` as it is now (undefined: none). */
  noteError(path: string, error: string | undefined): void {
    if (typeof error === 'string' && error.trim()) this.#errors.set(path, error);
    else this.#errors.delete(path);
  }

  /** Notes in error now, by path. */
  errors(): Iterable<[string, string]> {
    return this.#errors;
  }
}
