import type { FrontmatterData } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';

/**
 * The unit of work intake hands to a lane: plain data that survives JSON (an external queue engine
 * shared by several machines would store exactly this). Everything else a turn needs is read from the
 * message note when its turn comes.
 */
export interface Job {
  /** The message note (vault path). */
  message: string;
  /** The agent whose lane runs it: the message's `to:` when it was taken in. */
  agent: string;
  /** When it was taken in (`queued_at`). */
  queuedAt: string;
  /**
   * Taken by a free lane at once: no `queued` write came first (nobody could see it, and it would be
   * one more fsynced write before the turn), so the `running` write carries `queued_at` and the origin.
   */
  direct: boolean;
  /** A delegation written by a running turn's own file tools: that turn's message (`origin_message`). */
  originMessage?: string | undefined;
}

/** `done`: the job is over (whatever became of the message); `requeue`: re-addressed while it waited, take it in again. */
export type JobOutcome = 'done' | 'requeue';

/** What the `queued` write sets; a job taken at once has the `running` write carry them instead. */
export function queuedFields(job: Job): FrontmatterData {
  return { queued_at: job.queuedAt, error: undefined, ...(job.originMessage ? { origin_message: wikilink(job.originMessage) } : {}) };
}
