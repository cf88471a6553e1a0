import type { MessageOutcomes } from '../messages/outcome.ts';
import type { Journal } from '../state/journal.ts';
import { withoutLiveBlocks } from '../threads/live-block.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';

export interface RetryDeps {
  store: NoteStore;
  clock: Clock;
  logger: Logger;
  journal: Journal;
  outcomes: MessageOutcomes;
  maxAttempts: number;
  retryBaseMs: number;
  /** Look at waiting messages again at this time. */
  recheckAt: (when: Date) => void;
}

/**
 * Overloaded, rate limited, a network failure: the message waits and runs again later, with backoff
 * (doubling from retry_base, ±20 % jitter so agents that failed together do not retry together). The
 * CLI retries briefly on its own first (CLAUDE_CODE_MAX_RETRIES, 2 by default here); these are the
 * slower retries on top, kept in the journal and on the note so a restart neither loses nor repeats them.
 */
export async function scheduleRetry(
  deps: RetryDeps,
  turn: { messagePath: string; threadPath: string; threadTurns: number; error: string | undefined },
  failedAttempts: number,
): Promise<void> {
  const { store, clock, logger, journal, outcomes } = deps;
  const now = clock.now();
  const delay = deps.retryBaseMs * 2 ** (failedAttempts - 1) * (0.8 + Math.random() * 0.4);
  const retryAt = new Date(now.getTime() + delay);
  const error = turn.error ?? 'a temporary failure';
  const waiting = `attempt ${failedAttempts} of ${deps.maxAttempts} failed (${error}); trying again at ${retryAt.toTimeString().slice(0, 8)}`;
  await journal.append({ t: 'retry', msg: turn.messagePath, attempt: failedAttempts, retryAt: isoLocal(retryAt), error, at: isoLocal(now) });
  await outcomes.retry(turn.messagePath, { retry_at: isoLocal(retryAt), retry_attempt: failedAttempts, waiting_for: waiting });
  // No record takes the place of the turn's live section (turns/live-turn.ts): it goes.
  await store.edit(turn.threadPath, (raw) => withoutLiveBlocks(raw, turn.threadTurns + 1));
  await store.update(turn.threadPath, { status: turn.threadTurns > 0 ? 'ok' : 'working' });
  logger.warn('transient failure; will retry', { note: turn.messagePath, attempt: failedAttempts, retryAt: retryAt.toISOString(), error });
  deps.recheckAt(retryAt);
}
