import { isoLocal } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { DaemonContext } from './context.ts';
import { lastByMessage, type JournalRecord } from './journal.ts';
import { readMessageNote } from './read-message.ts';
import { writeTurnNotes } from './run-message.ts';

/**
 * After a crash, every message the journal knows ends in exactly one outcome, by this rule:
 * - its turn ran (a `result` is journaled) but its notes were not all written: they are written now
 *   from the record, skipping what is already there (no reply note twice);
 * - it was cut off mid-turn (`started`, no `result`): it runs again, once, marked `recovered: true`;
 *   cut off a second time, it is marked `error` for the user to decide (a turn that kills the daemon
 *   should not do so for ever);
 * - `queued` messages simply run (their note says so).
 * Then the journal is compacted to what is still open.
 */
export async function recoverFromJournal(ctx: DaemonContext): Promise<void> {
  const records = await ctx.journal.readAll();
  if (records.length === 0) return;
  const open: JournalRecord[] = [];
  for (const [msg, { last, starts }] of lastByMessage(records)) {
    if (last.t === 'finished') continue;
    try {
      if (last.t === 'result') {
        ctx.logger.warn('finishing a turn cut off by a crash', { note: msg });
        await writeTurnNotes(ctx, last);
        continue;
      }
      const note = await readMessageNote(ctx.store, msg);
      if (!note || note.message.status !== 'running') continue; // moved on (deleted, reset by the user)
      if (starts >= 2) {
        ctx.logger.error('message interrupted twice; left to the user', { note: msg });
        await ctx.store.update(msg, {
          status: 'error',
          error: 'Scriptorium stopped twice while this message was running, so it was not run a third time. Set status back to ready to try again.',
          finished_at: isoLocal(ctx.clock.now()),
        });
        await ctx.journal.append({ t: 'finished', msg, at: isoLocal(ctx.clock.now()) });
        continue;
      }
      ctx.logger.warn('re-running a message cut off by a crash', { note: msg });
      await ctx.store.update(msg, { status: 'queued', recovered: true });
      // Taken in by the start-up pass that follows, which would otherwise drop it as our own write.
      ctx.store.ownWrites.forget(msg);
      open.push(...records.filter((r) => r.msg === msg));
    } catch (error) {
      ctx.logger.error('recovery failed for a message', { note: msg, error: errorMessage(error) });
      open.push(...records.filter((r) => r.msg === msg));
    }
  }
  await ctx.journal.compact(open);
}
