import type { Intake } from '../intake/intake.ts';
import { loadSettledNotes, SETTLED_NOTES_FILE, type SettledEntry, type SettledNotes } from '../intake/settled-notes.ts';
import { recoverFromJournal, type RecoveryDeps } from '../state/recovery.ts';
import { errorMessage } from '../util/errors.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { resolveInVault } from '../vault/paths.ts';
import type { FileStamp } from '../vault/walk.ts';
import type { NoteEvents } from '../watch/note-events.ts';
import { notesChangedSince, readVaultAtStart, stillAsRead, unchangedSinceRead, type StartupNote } from '../watch/startup-read.ts';

export interface StartupDeps {
  root: string;
  store: NoteStore;
  logger: Logger;
  intake: Intake;
  events: NoteEvents;
  /** What recovery needs to finish turns a crash cut off. */
  recovery: RecoveryDeps;
  /** Look at HALT.md: one made since the first look is seen before anything starts. */
  checkHalt: () => Promise<void>;
  stopping: () => boolean;
  /** When the vault was read, for the notes index (a note changed a moment before is not vouched for). */
  clock: Clock;
  /** Notes settling from now on are appended to the index this start writes (`notes`: how many it holds). */
  settledWhileRunning?: { begin(notes: number): void } | undefined;
}

/**
 * The vault as the daemon starts: read (by the daemon itself: chokidar's initial scan takes ~4× as long
 * as reading the notes' bytes), definitions first in path order (they claim their names in that order),
 * then what a crash cut off, then the messages left waiting. Returns every note found with the version
 * read, for the look once chokidar watches every folder (`catchUp`); null when stopped meanwhile.
 */
export async function takeInVault(deps: StartupDeps): Promise<Map<string, string | undefined> | null> {
  const { root, store, logger, intake, events } = deps;
  logger.debug('reading the vault');
  // Notes settled at the last start, in the same file and write of it since, are not read again.
  const settled = await loadSettledNotes(root, logger);
  const readAt = deps.clock.now().getTime();
  const found = await readVaultAtStart(root, logger, deps.stopping, (vaultPath, stamp) => settled.lookup(vaultPath, stamp));
  if (deps.stopping()) return null;
  const known = found.filter((note) => note.settled !== undefined);
  const candidates = found.filter((note) => note.mayBeOurs && note.settled === undefined);
  logger.debug('vault read', { notes: found.length, mayBeOurs: candidates.length + known.length, known: known.length });
  // What each note said when read is what the daemon knows of it: a first write of ours over a note
  // the user has edited since (a status, a next_run) then counts as their edit, not as our own write,
  // and the look after chokidar is ready reads it again. (Taken in here with that knowledge ignored.)
  for (const note of candidates) if (note.raw !== undefined) store.ownWrites.remember(note.path, note.raw);
  // A note written a moment before the start may still be being typed: from its mtime, a message waits
  // out the rest of quiet_for, as if the watcher had seen that write (an mtime ahead of now counts as now).
  for (const note of candidates) {
    const age = note.mtimeMs === undefined ? Number.POSITIVE_INFINITY : Date.now() - note.mtimeMs;
    if (age < events.quiet.quietMs) events.quiet.written(note.path, age);
  }
  // The text read, unless the note changed since (then intake reads it again). The path as found, not
  // store.absolute(): a note that is a link is for intake to skip, not for start-up to fail on. A note
  // intake finds settled goes into the notes index under the stamp of the file the start-up read saw: at
  // once when intake took the text read then; when intake read the note afresh (over 64 KB, or changed
  // since), only if the file is still that version once intake is done with it.
  const readAfresh = new Map<string, { note: StartupNote; stamp: FileStamp; entry: SettledEntry }>();
  const takeIn = (note: StartupNote) => {
    const raw = stillAsRead(resolveInVault(root, note.path), note);
    const stamp = note.stamp;
    const onSettled =
      stamp === undefined
        ? undefined
        : raw !== undefined
          ? (entry: SettledEntry) => settled.record(note.path, stamp, entry, readAt)
          : (entry: SettledEntry) => void readAfresh.set(note.path, { note, stamp, entry });
    return events.process(note.path, { raw, ignoreOwnWrite: true, settled: onSettled });
  };
  // What intake would have remembered of a settled note, without reading it; messages after recovery, as
  // intake takes them (recovery finds the index as it would without the notes index).
  const takeKnown = (notes: StartupNote[]) => {
    for (const note of notes) if (!intake.takeSettled(note.path, note.settled!)) settled.drop(note.path);
  };
  // Messages wait until every definition has been read, so they know their agents.
  intake.deferMessages();
  for (const note of candidates) await takeIn(note);
  takeKnown(known.filter((note) => note.settled!.role !== 'inbound'));
  logger.debug('start-up notes handled', { notes: candidates.length + known.length, known: known.length });
  // Definitions are known: finish or re-run what a crash cut off, before messages are taken in.
  await recoverFromJournal(deps.recovery);
  const deferred = intake.takeDeferred();
  // No watcher yet: a HALT.md made since the first look is seen before anything starts.
  await deps.checkHalt();
  const byPath = new Map(candidates.map((note) => [note.path, note]));
  for (const vaultPath of deferred) await takeIn(byPath.get(vaultPath) ?? { path: vaultPath, mayBeOurs: true });
  takeKnown(known.filter((note) => note.settled!.role === 'inbound'));
  intake.startUpDone();
  for (const { note, stamp, entry } of readAfresh.values()) {
    if (unchangedSinceRead(resolveInVault(root, note.path), note)) settled.record(note.path, stamp, entry, readAt);
  }
  // Not written (a full disk): the file may end in a line cut short, and nothing is appended after it.
  if (await saveSettledNotes(deps, settled)) deps.settledWhileRunning?.begin(settled.size);
  return new Map(found.map((note) => [note.path, note.version]));
}

/**
 * The notes index as this start found it, written whole (atomically) when it changed: only the notes of
 * the vault now, so it never grows past the vault. A failure costs the next start its parse, nothing more.
 * Returns whether the file is now as this start left it.
 */
async function saveSettledNotes(deps: StartupDeps, settled: SettledNotes): Promise<boolean> {
  if (!settled.changed) return true;
  try {
    await deps.store.write(SETTLED_NOTES_FILE, settled.serialize());
    deps.logger.debug('notes index written', { notes: settled.size });
    return true;
  } catch (error) {
    deps.logger.warn('could not write the notes index', { file: SETTLED_NOTES_FILE, error: errorMessage(error) });
    return false;
  }
}

/**
 * chokidar now watches every folder. A note written (or removed) after the start-up read reached it and
 * before its folder was watched was seen by neither: the vault is walked once more for those.
 */
export async function catchUp(deps: StartupDeps, read: ReadonlyMap<string, string | undefined>, agents: () => string[]): Promise<void> {
  if (deps.stopping()) return;
  try {
    const changes = await notesChangedSince(deps.root, read);
    if (deps.stopping()) return;
    for (const change of changes) deps.events.onNote(change.path, change.event);
    deps.logger.info('watching vault', { vault: deps.root, agents: agents().join(', ') || '(none)', lookedAgain: changes.length });
  } catch (error) {
    deps.logger.error('could not look over the vault after the start', { error: errorMessage(error) });
  }
}
