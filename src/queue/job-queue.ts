import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { ActiveMessages } from './active-messages.ts';
import type { Job, JobOutcome } from './job.ts';
import type { Lanes } from './lanes.ts';

export interface JobQueueDeps {
  lanes: Lanes<Job>;
  active: ActiveMessages;
  logger: Logger;
  /** Run the job's turn (turns/); `cancel` aborts when the user sets the running message to `cancelled`. */
  run: (job: Job, cancel: AbortSignal) => Promise<JobOutcome>;
  /** Scriptorium itself failed while running the job: the message must still end visibly. */
  failed: (job: Job, error: string) => Promise<void>;
  /** The message was re-addressed while it waited: take it in again, into its new agent's lane. */
  requeue: (job: Job) => Promise<void>;
}

/**
 * Jobs into their agents' lanes, with the bookkeeping of what this process has queued and runs. A queued
 * job is its record alone (queue/job.ts): the lanes call `run` and `ended` with it when its time comes.
 */
export class JobQueue {
  readonly #deps: JobQueueDeps;
  /** Jobs whose turn said `requeue`: taken in again once out of their lane. */
  readonly #requeue = new Set<Job>();

  constructor(deps: JobQueueDeps) {
    this.#deps = deps;
  }

  enqueue(job: Job): void {
    const { lanes, active, logger } = this.#deps;
    active.queued(job.message);
    logger.info('message queued', { note: job.message, agent: job.agent });
    lanes.add(job.agent, job);
  }

  /** The job's turn has come (Lanes' `run`). */
  async run(job: Job): Promise<void> {
    const { active, logger } = this.#deps;
    const cancel = active.running(job.message);
    try {
      if ((await this.#deps.run(job, cancel)) === 'requeue') this.#requeue.add(job);
    } catch (error) {
      logger.error('message handling failed', { note: job.message, error: errorMessage(error) });
      await this.#deps.failed(job, `Scriptorium failed while running this message: ${errorMessage(error)}`);
    } finally {
      active.stopped(job.message);
    }
  }

  /** The job is out of its lane, run or dropped at shutdown (Lanes' `ended`). */
  ended(job: Job): void {
    const { active, logger } = this.#deps;
    active.done(job.message);
    if (!this.#requeue.delete(job)) return;
    this.#deps.requeue(job).catch((error: unknown) => logger.error('message handling failed', { note: job.message, error: errorMessage(error) }));
  }
}
