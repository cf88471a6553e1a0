import { readFileSync } from 'node:fs';
import type { MessageOutcomes } from '../messages/outcome.ts';
import { readMessageNote } from '../messages/read-message.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { storageErrorCode } from '../vault/write-health.ts';
import { lastByMessage, type Journal, type JournalRecord, type ResultRecord } from './journal.ts';

export interface RecoveryDeps {
  store: NoteStore;
  journal: Journal;
  clock: Clock;
  logger: Logger;
  outcomes: MessageOutcomes;
  /** Write a finished turn's notes from its record, skipping what is there (turns/turn-notes.ts). */
  replay: (record: ResultRecord) => Promise<void>;
  /** A write the disk refused (full, read-only): done again later, until it succeeds (turns/write-retries.ts). */
  writeLater: (messagePath: string, write: () => Promise<void>, error: unknown) => void;
  /** A message was set to run again: its note is now Scriptorium's own write, not one still being typed. */
  reran?: (messagePath: string) => void;
}

/**
 * After a crash, every message the journal knows ends in exactly one outcome, by this rule:
 * - its turn ran (a `result` is journaled) but its notes were not all written: they are written now
 *   from the record, skipping what is already there (no reply note twice);
 * - it was cut off mid-turn (`started`, no `result`): it runs again, once per crash, marked
 *   `recovered: true`; cut off a third time, it is marked `error` for the user to decide (a message
 *   whose turn kills the daemon must not do so for ever);
 * - `queued` messages simply run (their note says so).
 * Then the journal is compacted to what is still open.
 */
/** Crashes during one message's turns before it is left to the user. */
const MAX_INTERRUPTIONS = 3;

/** End a turn's process group left running by a crashed daemon, if that pid is still a claude process. */
function endOrphan(pid: number, logger: Logger): void {
  try {
    process.kill(pid, 0);
  } catch {
    return; // gone
  }
  if (process.platform === 'linux') {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!/claude/i.test(cmdline)) return; // the pid was reused by something else
    } catch {
      return;
    }
  }
  logger.warn('ending a turn left running by a crash', { pid });
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

export async function recoverFromJournal(deps: RecoveryDeps): Promise<void> {
  const { store, journal, logger, clock, outcomes } = deps;
  const records = await journal.readAll();
  if (records.length === 0) return;
  const open: JournalRecord[] = [];
  for (const [msg, { last, starts }] of lastByMessage(records)) {
    if (last.t === 'finished') continue;
    try {
      if (last.t === 'retry') {
        // Waiting for its retry: the note says when (retry_at); the record is kept while the note waits.
        // A note deleted or moved on meanwhile (as below) never retries: its records go, or every start
        // would keep them for ever.
        const status = (await readMessageNote(store, msg))?.message.status;
        if (status === 'queued' || status === 'ready' || status === 'running') open.push(...records.filter((r) => r.msg === msg));
        continue;
      }
      if (last.t === 'result') {
        logger.warn('finishing a turn cut off by a crash', { note: msg });
        const replay = () => deps.replay(last);
        // The disk is still full (or read-only): written once it can be, not left `running` until the next start.
        await replay().catch((error: unknown) => {
          if (storageErrorCode(error) === undefined) throw error;
          deps.writeLater(msg, replay, error);
          open.push(...records.filter((r) => r.msg === msg)); // kept for the next start, should this one end first
        });
        continue;
      }
      // The daemon died, its turn's process may not have: end it before anything runs that session again
      // (two runs of one session at once fork it).
      for (const r of records) if (r.msg === msg && r.t === 'spawned') endOrphan(r.pid, logger);
      const note = await readMessageNote(store, msg);
      // Cut off before its note said `running` (that write goes beside the turn's start), it still says
      // `queued` or `ready`: the turn may have begun all the same.
      const status = note?.message.status;
      if (status !== 'running' && status !== 'queued' && status !== 'ready') continue; // moved on (deleted, reset by the user)
      if (starts >= MAX_INTERRUPTIONS) {
        logger.error('message interrupted too often; left to the user', { note: msg });
        const error = `Scriptorium stopped ${MAX_INTERRUPTIONS} times while this message was running, so it was not run again. Set status back to ready to try again.`;
        // Not written: its records stay, and the next start tries again (it must not simply run a fourth time).
        if (!(await outcomes.fail(msg, status, error))) throw new Error('its error could not be written onto the note');
        await journal.append({ t: 'finished', msg, at: isoLocal(clock.now()) });
        continue;
      }
      logger.warn('re-running a message cut off by a crash', { note: msg });
      await outcomes.rerun(msg, status);
      deps.reran?.(msg);
      // Taken in by the start-up pass that follows, which would otherwise drop it as our own write.
      store.ownWrites.forget(msg);
      open.push(...records.filter((r) => r.msg === msg));
    } catch (error) {
      logger.error('recovery failed for a message', { note: msg, error: errorMessage(error) });
      open.push(...records.filter((r) => r.msg === msg));
    }
  }
  await journal.compact(open);
}
