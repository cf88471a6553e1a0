import { describe, expect, it } from 'vitest';
import { NoteLine } from '../../../src/watch/note-line.ts';

/** One turn of the event loop (not a timed wait). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const settle = async () => {
  for (let i = 0; i < 5; i++) await turn();
};

describe('NoteLine', () => {
  it('takes at most its limit of notes at once, in the order they came', async () => {
    const line = new NoteLine(3);
    const started: number[] = [];
    const gates: Array<() => void> = [];
    let running = 0;
    let most = 0;
    for (let i = 0; i < 10; i++) {
      line.add(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => (gates[i] = resolve));
        running--;
      });
    }
    await settle();
    expect(started).toEqual([0, 1, 2]);
    expect(line.pending).toBe(7);
    gates[1]!();
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 10; i++) {
      gates[i]?.();
      await settle();
    }
    for (const open of gates) open();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(3);
    expect(line.pending).toBe(0);
  });

  it('notes that need no I/O do not run back to back: the event loop turns between them', async () => {
    const line = new NoteLine(4);
    let done = 0;
    for (let i = 0; i < 100; i++) line.add(async () => void done++);
    let doneAtNextTurn = -1;
    setImmediate(() => (doneAtNextTurn = done));
    await turn();
    await settle();
    // The first few at most had begun when the loop came round again; the rest came later.
    expect(doneAtNextTurn).toBeLessThanOrEqual(4);
    for (let i = 0; i < 100 && done < 100; i++) await turn();
    expect(done).toBe(100);
  });

  it('a note that fails does not stop the line', async () => {
    const line = new NoteLine(1);
    const ran: string[] = [];
    line.add(async () => {
      ran.push('a');
      throw new Error('boom');
    });
    line.add(async () => void ran.push('b'));
    await settle();
    expect(ran).toEqual(['a', 'b']);
  });

  it('clear() drops the notes still waiting; the ones begun go on', async () => {
    const line = new NoteLine(1);
    const ran: string[] = [];
    let open = () => {};
    line.add(async () => {
      ran.push('first');
      await new Promise<void>((resolve) => (open = resolve));
    });
    line.add(async () => void ran.push('second'));
    await settle();
    expect(line.pending).toBe(1);
    line.clear();
    expect(line.pending).toBe(0);
    open();
    await settle();
    expect(ran).toEqual(['first']);
  });
});
