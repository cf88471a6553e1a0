import { describe, it, expect } from 'vitest';
import { Lanes } from '../../../src/queue/lanes.ts';

/** Lanes whose jobs are closures, each run as it comes; `ended` lists the jobs out of their lane. */
function lanesOf(concurrency: number, onChange?: () => void) {
  const ended: Array<() => Promise<void>> = [];
  const lanes = new Lanes<() => Promise<void>>({ concurrency, onChange, run: (job) => job(), ended: (job) => void ended.push(job) });
  return Object.assign(lanes, { ended });
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let every pending promise callback run (a macrotask turn, not a timed wait). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Jobs that record when they start and finish only when the test says so. */
function harness() {
  const started: string[] = [];
  const finished: string[] = [];
  const gates = new Map<string, Deferred>();
  let active = 0;
  let maxActive = 0;
  const activeByAgent = new Map<string, number>();
  let maxPerAgent = 0;
  const job = (agent: string, id: string) => {
    const gate = deferred();
    gates.set(id, gate);
    return async () => {
      started.push(id);
      active++;
      maxActive = Math.max(maxActive, active);
      activeByAgent.set(agent, (activeByAgent.get(agent) ?? 0) + 1);
      maxPerAgent = Math.max(maxPerAgent, activeByAgent.get(agent)!);
      try {
        await gate.promise;
      } finally {
        active--;
        activeByAgent.set(agent, activeByAgent.get(agent)! - 1);
        finished.push(id);
      }
    };
  };
  const finish = async (id: string) => {
    gates.get(id)!.resolve();
    await settle();
  };
  return { started, finished, job, finish, maxActive: () => maxActive, maxPerAgent: () => maxPerAgent, gates };
}

describe('Lanes', () => {
  it("runs one agent's jobs strictly in order, never two at once", async () => {
    const lanes = lanesOf(4);
    const h = harness();
    for (const id of ['a1', 'a2', 'a3']) lanes.add('a', h.job('a', id));
    await settle();
    expect(h.started).toEqual(['a1']);
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'a2']);
    await h.finish('a2');
    await h.finish('a3');
    await lanes.idle();
    expect(h.started).toEqual(['a1', 'a2', 'a3']);
    expect(h.finished).toEqual(['a1', 'a2', 'a3']);
    expect(h.maxPerAgent()).toBe(1);
  });

  it('runs different agents in parallel up to the global cap, never above it', async () => {
    const lanes = lanesOf(2);
    const h = harness();
    for (const agent of ['a', 'b', 'c', 'd']) lanes.add(agent, h.job(agent, agent));
    await settle();
    expect(h.started).toEqual(['a', 'b']);
    expect(lanes.runningCount).toBe(2);
    await h.finish('a');
    expect(h.started).toEqual(['a', 'b', 'c']);
    expect(lanes.runningCount).toBe(2);
    await h.finish('b');
    await h.finish('c');
    await h.finish('d');
    await lanes.idle();
    expect(h.started).toEqual(['a', 'b', 'c', 'd']);
    expect(h.maxActive()).toBe(2);
    expect(lanes.runningCount).toBe(0);
  });

  it("a busy agent's second job does not take a global slot from another agent", async () => {
    const lanes = lanesOf(2);
    const h = harness();
    lanes.add('a', h.job('a', 'a1'));
    lanes.add('a', h.job('a', 'a2'));
    lanes.add('b', h.job('b', 'b1'));
    await settle();
    expect(h.started).toEqual(['a1', 'b1']);
    await h.finish('a1');
    await h.finish('a2');
    await h.finish('b1');
  });

  it('waiting() and isRunning() report the running job and the queued ones', async () => {
    const lanes = lanesOf(1);
    const h = harness();
    expect(lanes.waiting('a')).toBe(0);
    expect(lanes.isRunning('a')).toBe(false);
    lanes.add('a', h.job('a', 'a1'));
    lanes.add('a', h.job('a', 'a2'));
    lanes.add('a', h.job('a', 'a3'));
    lanes.add('b', h.job('b', 'b1'));
    await settle();
    expect(lanes.isRunning('a')).toBe(true);
    expect(lanes.waiting('a')).toBe(2);
    // b's job waits for the one global slot.
    expect(lanes.isRunning('b')).toBe(false);
    expect(lanes.waiting('b')).toBe(1);
    await h.finish('a1');
    // The global slot is FIFO: b1 was queued for it before a2.
    expect(lanes.isRunning('b')).toBe(true);
    expect(lanes.isRunning('a')).toBe(false);
    expect(lanes.waiting('a')).toBe(2);
    expect(lanes.waiting('b')).toBe(0);
    expect(lanes.waiting('unknown-agent')).toBe(0);
    await h.finish('b1');
    await h.finish('a2');
    await h.finish('a3');
    expect(lanes.isRunning('a')).toBe(false);
    expect(lanes.waiting('a')).toBe(0);
  });

  it('a failing job does not stop the lane, and is out of it all the same', async () => {
    const lanes = lanesOf(1);
    const h = harness();
    const failing = async () => {
      throw new Error('boom');
    };
    lanes.add('a', failing);
    lanes.add('a', h.job('a', 'a2'));
    await settle();
    expect(lanes.ended).toEqual([failing]);
    expect(h.started).toEqual(['a2']);
    await h.finish('a2');
    await lanes.idle();
    expect(lanes.ended).toHaveLength(2);
    expect(lanes.isRunning('a')).toBe(false);
  });

  it('close() drops waiting jobs, which never start, while the running one finishes', async () => {
    const lanes = lanesOf(1);
    const h = harness();
    const [a1, a2, b1] = [h.job('a', 'a1'), h.job('a', 'a2'), h.job('b', 'b1')];
    lanes.add('a', a1);
    lanes.add('a', a2);
    lanes.add('b', b1);
    await settle();
    expect(h.started).toEqual(['a1']);
    lanes.close();
    // Dropped, they are out of their lanes at once; the running one once it has finished.
    expect(lanes.ended).toEqual([a2, b1]);
    await h.finish('a1');
    await lanes.idle();
    expect(lanes.ended).toEqual([a2, b1, a1]);
    expect(h.started).toEqual(['a1']);
    expect(h.finished).toEqual(['a1']);
    expect(lanes.runningCount).toBe(0);
    await lanes.idle();
  });

  it('after close(), a new job is not run, and idle() resolves at once', async () => {
    const lanes = lanesOf(1);
    lanes.close();
    let ran = false;
    lanes.add('a', async () => {
      ran = true;
    });
    await lanes.idle();
    await settle();
    expect(ran).toBe(false);
    expect(lanes.waiting('a')).toBe(0);
  });

  it('close() can be called twice', () => {
    const lanes = lanesOf(1);
    lanes.close();
    expect(() => lanes.close()).not.toThrow();
  });

  it('idle() resolves once every running job is done', async () => {
    const lanes = lanesOf(2);
    const h = harness();
    lanes.add('a', h.job('a', 'a1'));
    lanes.add('b', h.job('b', 'b1'));
    await settle();
    let idle = false;
    const waiting = lanes.idle().then(() => {
      idle = true;
    });
    await h.finish('a1');
    expect(idle).toBe(false);
    await h.finish('b1');
    await waiting;
    expect(idle).toBe(true);
  });

  it('tells its listener when a job starts and when it finishes', async () => {
    const seen: number[] = [];
    const lanes = lanesOf(1, () => seen.push(lanes.runningCount));
    const h = harness();
    lanes.add('a', h.job('a', 'a1'));
    await settle();
    expect(seen).toContain(1);
    const before = seen.length;
    await h.finish('a1');
    expect(seen.length).toBeGreaterThan(before);
    expect(seen.at(-1)).toBe(0);
  });
});
