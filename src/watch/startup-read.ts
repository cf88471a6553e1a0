import { lstatSync } from 'node:fs';
import type { Logger } from '../util/logger.ts';
import { errorMessage } from '../util/errors.ts';
import { mightBeScriptoriumNote } from '../vault/scan.ts';
import type { SettledEntry } from '../intake/settled-notes.ts';
import { fileVersion, opensFrontmatter, readHead, walkNotesSync, type FileStamp, type WalkedNote } from '../vault/walk.ts';

/** The start-up read takes this much of each note: frontmatter that does not close in it counts as maybe ours. */
const SCAN_HEAD_BYTES = 64 * 1024;
/** Notes read between two turns of the event loop (timers, the watcher's setup and signals get a say). */
const BATCH_NOTES = 500;
const BATCH_BYTES = 8 * 1024 * 1024;

export interface StartupNote {
  path: string;
  /** Plain files whose frontmatter mentions an agent/ tag, and links (intake refuses them, with a warning). */
  mayBeOurs: boolean;
  /** The note's text as read, when it all fit in what was read: intake need not read it again. */
  raw?: string;
  /** Plain files: the version read (`fileVersion`), to tell later whether it changed since. */
  version?: string;
  /** Plain files: when last written (a message typed a moment ago may still be being typed). */
  mtimeMs?: number;
  /** Plain files that may be ours: the file read (the notes index keys what intake finds settled by it). */
  stamp?: FileStamp;
  /** Known from the notes index in this very file: settled, not read (`mayBeOurs` true, no `raw`). */
  settled?: SettledEntry;
}

/** The notes index as the start-up read asks it: the entry of a note whose file is still the one it was made from. */
export type KnownNotes = (vaultPath: string, stamp: FileStamp) => SettledEntry | undefined;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The vault as it is at start: every note, and which may be Scriptorium's. Most of a vault is ordinary
 * notes: each is read synchronously (its first 64 KB), in batches with a turn of the event loop between
 * them, and only the few that mention an agent/ tag go on to the one-at-a-time intake. Reading the vault
 * here, instead of waiting for chokidar to report it, makes the daemon ready in about the time it takes to
 * read the notes' bytes; chokidar sets up its watches beside it (see `notesChangedSince`). A note `known`
 * settled in the very file found (the notes index: intake/settled-notes.ts) is not read at all.
 */
export async function readVaultAtStart(root: string, logger: Logger, stopped: () => boolean = () => false, known: KnownNotes = () => undefined): Promise<StartupNote[]> {
  const buffer = Buffer.alloc(SCAN_HEAD_BYTES);
  const out: StartupNote[] = [];
  let bytes = 0;
  for (const [i, note] of walkNotesSync(root).entries()) {
    if (i % BATCH_NOTES === 0 || bytes > BATCH_BYTES) {
      bytes = 0;
      await nextTurn();
      if (stopped()) return out; // Ctrl-C while reading a big vault
    }
    // Not a plain file: never read here (a FIFO would block, a link may point at a device); a link goes
    // on to intake, which refuses it with a warning.
    if (note.kind !== 'file') {
      out.push({ path: note.path, mayBeOurs: note.kind === 'link' });
      continue;
    }
    try {
      let settled: SettledEntry | undefined;
      // A note settled when the index was made, in the same file and write of it since: not even read.
      const head = readHead(note.absolute, buffer, (stamp) => (settled = known(note.path, stamp)) !== undefined);
      if (settled !== undefined) {
        out.push({ path: note.path, mayBeOurs: true, version: head.version, mtimeMs: head.mtimeMs, settled });
        continue;
      }
      bytes += head.bytes;
      // Most notes have no frontmatter at all: those are not even decoded.
      const start = buffer.subarray(0, head.bytes);
      const text = opensFrontmatter(start) ? start.toString('utf8') : undefined;
      const mayBeOurs = text !== undefined && mightBeScriptoriumNote(text);
      out.push({ path: note.path, mayBeOurs, version: head.version, mtimeMs: head.mtimeMs, ...(mayBeOurs ? { stamp: head.stamp } : {}), ...(mayBeOurs && head.whole ? { raw: text } : {}) });
    } catch (error) {
      logger.warn('note cannot be read', { note: note.path, error: errorMessage(error) });
      out.push({ path: note.path, mayBeOurs: false });
    }
  }
  return out;
}

/**
 * The text read at start, if the note is still that version (checked with one lstat); undefined when it
 * changed since (the user saved, recovery wrote to it): intake then reads it afresh.
 */
export function stillAsRead(absolute: string, note: StartupNote): string | undefined {
  return note.raw !== undefined && unchangedSinceRead(absolute, note) ? note.raw : undefined;
}

/** Whether the note's file is still the version the start-up read found (one lstat). */
export function unchangedSinceRead(absolute: string, note: StartupNote): boolean {
  if (note.version === undefined) return false;
  const stat = lstatSync(absolute, { throwIfNoEntry: false });
  return stat !== undefined && fileVersion(stat) === note.version;
}

/**
 * Once chokidar watches every folder: what changed in the window between the start-up read and the
 * moment its folder was watched, which neither saw. Notes that are new, gone, or not the version read
 * then. Looking at a note again is harmless (intake knows what it has seen, and drops our own writes).
 */
export async function notesChangedSince(
  root: string,
  read: ReadonlyMap<string, string | undefined>,
): Promise<Array<{ path: string; event: 'add' | 'change' | 'unlink' }>> {
  const out: Array<{ path: string; event: 'add' | 'change' | 'unlink' }> = [];
  const seen = new Set<string>();
  const notes: WalkedNote[] = walkNotesSync(root);
  for (const [i, note] of notes.entries()) {
    if (i % BATCH_NOTES === 0) await nextTurn();
    seen.add(note.path);
    // A FIFO or a device is never read: one that replaced a note counts as the note gone.
    if (note.kind === 'other') {
      if (read.get(note.path) !== undefined) out.push({ path: note.path, event: 'unlink' });
      continue;
    }
    if (!read.has(note.path)) {
      out.push({ path: note.path, event: 'add' });
      continue;
    }
    const version = read.get(note.path);
    // A link, already a link at start: refused then. A file that became a link is looked at (and refused).
    if (note.kind === 'link') {
      if (version !== undefined) out.push({ path: note.path, event: 'change' });
      continue;
    }
    const stat = lstatSync(note.absolute, { throwIfNoEntry: false });
    if (stat && fileVersion(stat) !== version) out.push({ path: note.path, event: 'change' });
  }
  for (const path of read.keys()) if (!seen.has(path)) out.push({ path, event: 'unlink' });
  return out;
}
