import { describe, expect, it } from 'vitest';
import { QuietNotes } from '../../../src/watch/quiet-notes.ts';
import { manualTimers } from '../../helpers/manual-timers.ts';

function quietNotes(quietMs = 5_000) {
  const timers = manualTimers();
  const looked: string[] = [];
  const quiet = new QuietNotes({ quietMs, timers, lookAgain: (path) => void looked.push(path) });
  return { timers, looked, quiet };
}

describe('QuietNotes', () => {
  it('a note never written in place, or renamed into place since, need not wait', () => {
    const { quiet } = quietNotes();
    expect(quiet.left('Inbox/a.md')).toBe(0);
    quiet.written('Inbox/a.md');
    quiet.replaced('Inbox/a.md');
    expect(quiet.left('Inbox/a.md')).toBe(0);
  });

  it('counts quiet_for from the last write in place', () => {
    const { timers, quiet } = quietNotes();
    quiet.written('Inbox/a.md');
    timers.advance(2_000);
    expect(quiet.left('Inbox/a.md')).toBe(3_000);
    quiet.written('Inbox/a.md'); // the next save, two seconds later
    expect(quiet.left('Inbox/a.md')).toBe(5_000);
    timers.advance(5_000);
    expect(quiet.left('Inbox/a.md')).toBe(0);
  });

  it('a note found at start, written a moment before, waits out the rest', () => {
    const { quiet } = quietNotes();
    quiet.written('Inbox/a.md', 1_500);
    expect(quiet.left('Inbox/a.md')).toBe(3_500);
  });

  it('looks at a note again once quiet; a write meanwhile drops the look (its own event decides again)', () => {
    const { timers, looked, quiet } = quietNotes();
    quiet.written('Inbox/a.md');
    quiet.lookWhenQuiet('Inbox/a.md');
    timers.advance(1_000);
    quiet.written('Inbox/a.md');
    timers.advance(10_000);
    expect(looked).toEqual([]);
    quiet.lookWhenQuiet('Inbox/a.md');
    expect(quiet.pending).toBe(1);
    timers.advance(0);
    expect(looked).toEqual(['Inbox/a.md']);
    expect(quiet.pending).toBe(0);
  });

  it('until() waits for quiet, waits again after another write, and says once that it waits', async () => {
    const { timers, quiet } = quietNotes();
    quiet.written('Inbox/a.md');
    let said = 0;
    let done: boolean | undefined;
    void quiet.until('Inbox/a.md', () => void said++).then((quietNow) => (done = quietNow));
    await Promise.resolve();
    timers.advance(4_000);
    quiet.written('Inbox/a.md');
    await new Promise((resolve) => setImmediate(resolve));
    timers.advance(4_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBeUndefined();
    timers.advance(1_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(true);
    expect(said).toBe(1);
    expect(await quiet.until('Inbox/a.md')).toBe(true);
  });

  it('a rename ends a wait at once; close ends every wait, with false', async () => {
    const { quiet } = quietNotes();
    quiet.written('Inbox/a.md');
    const renamed = quiet.until('Inbox/a.md');
    quiet.replaced('Inbox/a.md');
    expect(await renamed).toBe(true);
    quiet.written('Inbox/b.md');
    quiet.lookWhenQuiet('Inbox/b.md');
    const closing = quiet.until('Inbox/b.md');
    quiet.close();
    expect(await closing).toBe(false);
    expect(quiet.pending).toBe(0);
  });
});
