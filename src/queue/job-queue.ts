import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { ActiveMessages } from './active-messages.ts';
import type { Job, JobOutcome } from './job.ts';
import type { Lanes } from './lanes.ts';

export interface JobQueueDeps {
  lanes: Lanes;
  active: ActiveMessages;
  logger: Logger;
  /** Run the job's turn (turns/); `cancel` aborts when the user sets the running message to `cancelled`. */
  run: (job: Job, cancel: AbortSignal) => Promise<JobOutcome>;
  /** Scriptorium itself failed while running the job: the message must still end visibly. */
  failed: (job: Job, error: string) => Promise<void>;
  /** The message was re-addressed while it waited: take it in again, into its new agent's lane. */
  requeue: (job: Job) => Promise<void>;
}

/** Jobs into their agents' lanes, with the bookkeeping of what this process has queued and runs. */
export class JobQueue {
  readonly #deps: JobQueueDeps;

  constructor(deps: JobQueueDeps) {
    this.#deps = deps;
  }

  enqueue(job: Job): void {
    const { lanes, active, logger } = this.#deps;
    active.queued(job.message);
    logger.info('message queued', { note: job.message, agent: job.agent });
    let outcome: JobOutcome = 'done';
    void lanes
      .add(job.agent, async () => {
        const cancel = active.running(job.message);
        try {
          outcome = await this.#deps.run(job, cancel);
        } catch (error) {
          logger.error('message handling failed', { note: job.message, error: errorMessage(error) });
          await this.#deps.failed(job, `Scriptorium failed while running this message: ${errorMessage(error)}`);
        } finally {
          active.stopped(job.message);
        }
      })
      .finally(async () => {
        active.done(job.message);
        if (outcome === 'requeue') await this.#deps.requeue(job);
      })
      .catch((error: unknown) => logger.error('message handling failed', { note: job.message, error: errorMessage(error) }));
  }
}
