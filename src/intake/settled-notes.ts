import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import type { FileStamp } from '../vault/walk.ts';
import type { IndexEntry } from './note-index.ts';

/** Where the notes found settled at the last start are kept, with the file identity each was read in. */
export const SETTLED_NOTES_FILE = `${STATE_DIR}/notes-index.json`;
const FORMAT = 1;
/** A file this big is no index Scriptorium wrote for any vault (about 200 bytes a note): not read. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
/**
 * A note changed this recently may change again within the same tick of the file system's clock, same
 * size, and look unchanged (ctime ticks are a few ms here, 2 s on FAT): it is not vouched for until
 * it has been still for longer than that. (Git's "racily clean" entries, the same way round.)
 */
export const STILL_FOR_MS = 3_000;
/** Fields of an entry kept no longer than this: the index never holds a note's text. */
const MAX_FIELD_CHARS = 4_096;

/** What start needs of a note that needs nothing at start: its NoteIndex entry and its `error:`. */
export interface SettledEntry extends IndexEntry {
  role: 'inbound' | 'outbound' | 'thread' | 'archive' | 'dashboard';
  error?: string | undefined;
}

/**
 * A note's identity as a key. ctime is in it because no user-space tool can set it: a sync tool or
 * `touch -r` that puts back a note's mtime (and its size, a `ready` for a `done`... four letters each)
 * still moves its ctime; a note renamed into place is another inode.
 */
export function identityKey(stats: FileStamp): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

const ROLES: ReadonlySet<string> = new Set(['inbound', 'outbound', 'thread', 'archive', 'dashboard']);
const FIELDS = ['to', 'replyTo', 'group', 'origin', 'error'] as const;
const KEY = /^\d+:\d+:\d+:\d+(\.\d+)?:\d+(\.\d+)?$/;

/**
 * Notes whose outcome is settled (a message done, a reply with nothing pending, a thread with no turn cut
 * off in it), by vault path, with the identity of the file they were read in. At start a note whose file
 * is still exactly that one is taken from here instead of being parsed; any other is parsed as it always
 * was. What start read and decided itself goes in, and the file is rewritten whole at the end of each
 * start from the notes found then (so a note deleted since is gone from it); notes that settled while the
 * daemon ran are appended to it meanwhile (intake/settled-while-running.ts), one line each.
 */
export class SettledNotes {
  /** As loaded from the file: trusted only where a note's identity matches its key. */
  readonly #loaded: Map<string, { key: string; entry: SettledEntry }>;
  /** This start's: what was taken from the file, and what intake found settled. */
  readonly #now = new Map<string, { key: string; entry: SettledEntry }>();
  #reused = 0;
  /** The file is missing, unreadable, or has lines appended while a daemon ran: written afresh (compacted). */
  readonly #rewrite: boolean;

  constructor(loaded = new Map<string, { key: string; entry: SettledEntry }>(), options: { rewrite?: boolean } = {}) {
    this.#loaded = loaded;
    this.#rewrite = options.rewrite ?? false;
  }

  /** The entry for this note if its file is the one the entry was made from; it is kept for the next start. */
  lookup(vaultPath: string, identity: FileStamp): SettledEntry | undefined {
    const known = this.#loaded.get(vaultPath);
    if (known === undefined || known.key !== identityKey(identity)) return undefined;
    this.#now.set(vaultPath, known);
    this.#reused++;
    return known.entry;
  }

  /**
   * Intake found the note settled, reading it in this identity (`readAt`: when, `Date.now()`). A note
   * written a moment before may still be written again unseen in the same clock tick: left out.
   */
  record(vaultPath: string, identity: FileStamp, entry: SettledEntry, readAt: number): void {
    if (readAt - identity.ctimeMs < STILL_FOR_MS || readAt - identity.mtimeMs < STILL_FOR_MS) return;
    this.#now.set(vaultPath, { key: identityKey(identity), entry: clean(entry) });
  }

  /** A note taken from the index that start then dropped (in a template folder now): not kept. */
  drop(vaultPath: string): void {
    this.#now.delete(vaultPath);
  }

  get size(): number {
    return this.#now.size;
  }

  /** Whether this start's index differs from the file's: the file is rewritten only then. */
  get changed(): boolean {
    return this.#rewrite || this.#reused !== this.#loaded.size || this.#now.size !== this.#reused;
  }

  /**
   * This start's index as the file holds it: a header saying how many lines follow it, then one line per
   * note, so a big vault's index stays greppable. Lines appended after those are notes that settled while
   * the daemon ran (`settledLine`).
   */
  serialize(): string {
    const lines = [JSON.stringify({ format: FORMAT, notes: this.#now.size })];
    for (const [vaultPath, { key, entry }] of this.#now) lines.push(settledLine(vaultPath, key, entry).slice(0, -1));
    return lines.join('\n') + '\n';
  }
}

/** One note's line of the file, newline included: what is appended for a note that settled while the daemon ran. */
export function settledLine(vaultPath: string, key: string, entry: SettledEntry): string {
  return JSON.stringify([vaultPath, key, clean(entry)]) + '\n';
}

/**
 * The index the last start wrote. Missing: an empty one. Anything Scriptorium did not write, or wrote
 * for another version of this format (unreadable, cut short, too big, a line of the wrong shape): said
 * once in the log and ignored whole; every note is parsed and the file is written afresh.
 */
export async function loadSettledNotes(root: string, logger: Logger): Promise<SettledNotes> {
  const file = path.join(root, SETTLED_NOTES_FILE);
  let text: string;
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw new Error('not a plain file');
    if (stats.size > MAX_FILE_BYTES) throw new Error(`${stats.size} bytes, more than any index of a vault`);
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new SettledNotes(undefined, { rewrite: true });
    logger.warn('notes index unreadable; every note is read', { file: SETTLED_NOTES_FILE, error: errorMessage(error) });
    return new SettledNotes(undefined, { rewrite: true });
  }
  try {
    const { notes, appended } = parseSettledFile(text);
    return new SettledNotes(notes, { rewrite: appended });
  } catch (error) {
    logger.warn('notes index unreadable; every note is read', { file: SETTLED_NOTES_FILE, error: errorMessage(error) });
    return new SettledNotes(undefined, { rewrite: true });
  }
}

/** The file's entries; throws, saying where, at the first thing out of shape. */
export function parseSettledNotes(text: string): Map<string, { key: string; entry: SettledEntry }> {
  return parseSettledFile(text).notes;
}

/**
 * The file's entries, a later line for a note winning over an earlier one, and whether lines were
 * appended after those the header counts. The header's lines were written at once (renamed into place):
 * any of them missing or out of shape is a file not to trust. Of the lines appended while a daemon ran,
 * only the last may be cut short (a crash in the middle of an append): it is dropped.
 */
export function parseSettledFile(text: string): { notes: Map<string, { key: string; entry: SettledEntry }>; appended: boolean } {
  const lines = text.split('\n');
  // No newline at the end: the last line is cut short. Fine for an appended line, checked below.
  const cutShort = lines.pop() !== '';
  const header = JSON.parse(lines[0] ?? 'null') as unknown;
  const counted = isRecord(header) ? header.notes : undefined;
  if (!isRecord(header) || header.format !== FORMAT || typeof counted !== 'number' || !Number.isSafeInteger(counted) || counted < 0 || counted > lines.length - 1) {
    throw new Error(`line 1: expected {"format":${FORMAT},"notes":N} and then at least N lines${cutShort ? ' (cut short?)' : ''}`);
  }
  const out = new Map<string, { key: string; entry: SettledEntry }>();
  for (let i = 1; i < lines.length; i++) {
    const item = JSON.parse(lines[i]!) as unknown;
    if (!Array.isArray(item) || item.length !== 3) throw new Error(`line ${i + 1}: expected [path, key, entry]`);
    const [vaultPath, key, entry] = item as [unknown, unknown, unknown];
    if (typeof vaultPath !== 'string' || vaultPath === '' || vaultPath.length > MAX_FIELD_CHARS) throw new Error(`line ${i + 1}: the path is not a vault path`);
    if (typeof key !== 'string' || !KEY.test(key)) throw new Error(`line ${i + 1}: the key is not a file identity`);
    if (!isSettledEntry(entry)) throw new Error(`line ${i + 1}: the entry is not a settled note's`);
    // Twice among the lines a start wrote is a file no start wrote; an appended line is a later version.
    if (i <= counted && out.has(vaultPath)) throw new Error(`line ${i + 1}: ${vaultPath} twice`);
    out.delete(vaultPath);
    out.set(vaultPath, { key, entry: clean(entry) });
  }
  return { notes: out, appended: lines.length - 1 > counted || cutShort };
}

function isSettledEntry(value: unknown): value is SettledEntry {
  if (!isRecord(value) || typeof value.role !== 'string' || !ROLES.has(value.role)) return false;
  for (const [name, field] of Object.entries(value)) {
    if (name === 'role') continue;
    if (!(FIELDS as readonly string[]).includes(name)) return false;
    if (field !== undefined && (typeof field !== 'string' || field.length > MAX_FIELD_CHARS)) return false;
  }
  return true;
}

/** Only the known fields, and only those set: nothing else of a file's JSON reaches the daemon. */
function clean(entry: SettledEntry): SettledEntry {
  const out: SettledEntry = { role: entry.role };
  for (const name of FIELDS) {
    const value = entry[name];
    if (typeof value === 'string' && value.length <= MAX_FIELD_CHARS) out[name] = value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
