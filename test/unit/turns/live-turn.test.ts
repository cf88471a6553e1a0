// The running turn's section on its own: fake timers drive its looks, a note held in memory stands for the
// thread note (the store's read-modify-write is tested in vault/note-store.test.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasLiveBlock } from '../../../src/threads/live-block.ts';
import { newThreadNote } from '../../../src/threads/thread-note.ts';
import { LiveTurn, type LiveTurnDeps } from '../../../src/turns/live-turn.ts';
import { createMemoryLogger } from '../../../src/util/logger.ts';

const START = new Date('2026-11-21T19:36:05Z');

/** A thread note in memory, edited the way NoteStore.edit does: `change` gets the text as it is now. */
function memoryNote(text: string) {
  const note = {
    text,
    writes: 0,
    failNext: false,
    /** Resolves the write under way, when the test holds it. */
    hold: undefined as Promise<void> | undefined,
    edit: async (_path: string, change: (raw: string) => string | null): Promise<string | null> => {
      if (note.hold) await note.hold;
      if (note.failNext) {
        note.failNext = false;
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      }
      const next = change(note.text);
      if (next !== null && next !== note.text) {
        note.text = next;
        note.writes++;
      }
      return note.text;
    },
    redact: (t: string) => t,
  };
  return note;
}

let note: ReturnType<typeof memoryNote>;
let logger: ReturnType<typeof createMemoryLogger>;
let live: LiveTurn | undefined;

function start(intervalMs = 3_000): LiveTurn {
  const deps: LiveTurnDeps = { store: note, clock: { now: () => new Date() }, logger, intervalMs };
  live = new LiveTurn(deps, { threadPath: 'Threads/researcher.md', number: 1, from: 'user', messagePath: 'Inbox/q.md', startedAt: new Date() });
  return live;
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
  note = memoryNote(newThreadNote('researcher', 'single-threaded', START));
  logger = createMemoryLogger();
});

afterEach(async () => {
  await live?.stop();
  live = undefined;
  vi.useRealTimers();
});

describe('a running turn in its thread note', () => {
  it('a turn that ends before the first look writes nothing', async () => {
    const turn = start();
    turn.saw({ type: 'started', pid: 1 });
    turn.saw({ type: 'tool', name: 'Read' });
    await vi.advanceTimersByTimeAsync(2_999);
    await turn.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(note.writes).toBe(0);
    expect(hasLiveBlock(note.text)).toBe(false);
  });

  it('shows the tools so far at the first look, then writes at most once per interval, and only what reads differently', async () => {
    const turn = start();
    turn.saw({ type: 'tool', name: 'Read' });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(note.writes).toBe(1);
    expect(note.text).toContain('## Turn 1 · running · from user');
    expect(note.text).toContain('- Tools so far: Read\n');

    turn.saw({ type: 'tool', name: 'Read' });
    turn.saw({ type: 'tool', name: 'Write' });
    turn.saw({ type: 'tool', name: 'Read' });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(note.writes).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(note.writes).toBe(2);
    expect(note.text).toContain('- Tools so far: Read ×3, Write\n');
    expect(note.text).toContain('- Last activity: 19:36:08, Read\n');

    // Nothing new, and still under a minute: the section reads the same, nothing is written.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(note.writes).toBe(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(note.writes).toBe(3);
    expect(note.text).toContain('- Running for: 1 min\n');
    expect(note.text.match(/## Turn 1 · running/g)).toHaveLength(1);
  });

  it('keeps what the user typed in the note meanwhile, above the section and below it', async () => {
    const turn = start();
    await vi.advanceTimersByTimeAsync(3_000);
    note.text = note.text.replace('Its latest turn is below; earlier turns move to its archive notes, shown above it.\n', 'Its latest turn is below; earlier turns move to its archive notes, shown above it.\nTyped above.\n') + 'Typed below.\n';
    const typed = note.text;
    turn.saw({ type: 'tool', name: 'Grep' });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(note.text).toContain('- Tools so far: Grep\n');
    expect(note.text).toContain('Its latest turn is below; earlier turns move to its archive notes, shown above it.\nTyped above.\n');
    expect(note.text.endsWith('%%\nTyped below.\n')).toBe(true);
    expect(note.text.length).toBeGreaterThan(typed.length);
  });

  it('leaves the section alone for the rest of the turn once the user edits inside it', async () => {
    const turn = start();
    await vi.advanceTimersByTimeAsync(3_000);
    note.text = note.text.replace('- Started:', '- Began:');
    const edited = note.text;
    turn.saw({ type: 'tool', name: 'Read' });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(note.text).toBe(edited);
    expect(logger.lines.filter((l) => l.msg.includes('was edited or removed'))).toHaveLength(1);
  });

  it('does not put the section back once the user removes it', async () => {
    const before = note.text;
    const turn = start();
    await vi.advanceTimersByTimeAsync(3_000);
    note.text = before;
    turn.saw({ type: 'tool', name: 'Read' });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(note.text).toBe(before);
  });

  it('tries again at the next look when a write fails', async () => {
    const turn = start();
    note.failNext = true;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(note.writes).toBe(0);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(note.writes).toBe(1);
    await turn.stop();
  });

  it('stop() resolves only once a write under way has landed, and no look follows', async () => {
    const turn = start();
    let land = () => {};
    note.hold = new Promise<void>((resolve) => (land = resolve));
    await vi.advanceTimersByTimeAsync(3_000);
    let stopped = false;
    const stopping = turn.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    note.hold = undefined;
    land();
    await stopping;
    expect(note.writes).toBe(1);
    turn.saw({ type: 'tool', name: 'Read' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(note.writes).toBe(1);
  });
});
