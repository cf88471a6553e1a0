import { describe, expect, it } from 'vitest';
import { ActiveMessages } from '../../../src/queue/active-messages.ts';
import type { Job, JobOutcome } from '../../../src/queue/job.ts';
import { JobQueue } from '../../../src/queue/job-queue.ts';
import { Lanes } from '../../../src/queue/lanes.ts';
import { createMemoryLogger } from '../../../src/util/logger.ts';

const job = (message: string, agent = 'helper'): Job => ({ message, agent, queuedAt: '2026-06-01T10:00:00+00:00', direct: false });

function queueWith(run: (job: Job, cancel: AbortSignal) => Promise<JobOutcome>) {
  const lanes: Lanes<Job> = new Lanes<Job>({ concurrency: 2, run: (j) => queue.run(j), ended: (j) => queue.ended(j) });
  const active = new ActiveMessages();
  const failed: Array<[string, string]> = [];
  const requeued: string[] = [];
  const queue: JobQueue = new JobQueue({
    lanes,
    active,
    logger: createMemoryLogger(),
    run,
    failed: async (j, error) => void failed.push([j.message, error]),
    requeue: async (j) => void requeued.push(j.message),
  });
  return { lanes, active, queue, failed, requeued };
}

describe('the job queue', () => {
  it('hands the worker the job as plain data, as it would come back from a queue engine', async () => {
    const seen: Job[] = [];
    const { queue, lanes, active } = queueWith(async (j) => (seen.push(j), 'done'));
    const original: Job = { ...job('Inbox/a.md'), direct: true, originMessage: 'Inbox/origin.md' };
    queue.enqueue(JSON.parse(JSON.stringify(original)) as Job);
    expect(active.has('Inbox/a.md')).toBe(true);
    await lanes.idle();
    expect(seen).toEqual([original]);
    expect(active.has('Inbox/a.md')).toBe(false);
  });

  it("one agent's jobs run one at a time, in order; the running one can be cancelled", async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstCancel: AbortSignal | undefined;
    const { queue, lanes, active } = queueWith(async (j, cancel) => {
      order.push(`start ${j.message}`);
      if (j.message === 'Inbox/a.md') {
        firstCancel = cancel;
        await held;
      }
      order.push(`end ${j.message}`);
      return 'done';
    });
    queue.enqueue(job('Inbox/a.md'));
    queue.enqueue(job('Inbox/b.md'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(active.isRunning('Inbox/a.md')).toBe(true);
    expect(active.isRunning('Inbox/b.md')).toBe(false);
    expect(active.cancel('Inbox/a.md')).toBe(true);
    expect(firstCancel?.aborted).toBe(true);
    release();
    await lanes.idle();
    expect(order).toEqual(['start Inbox/a.md', 'end Inbox/a.md', 'start Inbox/b.md', 'end Inbox/b.md']);
  });

  it('a job re-addressed while it waited goes back to intake once out of the lane', async () => {
    const { queue, lanes, requeued, active } = queueWith(async () => 'requeue');
    queue.enqueue(job('Inbox/a.md'));
    await lanes.idle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(requeued).toEqual(['Inbox/a.md']);
    expect(active.has('Inbox/a.md')).toBe(false);
  });

  it('a worker that throws still ends its message visibly, and the lane goes on', async () => {
    const { queue, lanes, failed } = queueWith(async (j) => {
      if (j.message === 'Inbox/a.md') throw new Error('disk full');
      return 'done';
    });
    queue.enqueue(job('Inbox/a.md'));
    queue.enqueue(job('Inbox/b.md'));
    await lanes.idle();
    expect(failed).toEqual([['Inbox/a.md', 'Scriptorium failed while running this message: disk full']]);
  });
});
