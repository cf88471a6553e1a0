import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusWriter } from '../../../src/daemon/status-writer.ts';
import type { StatusView } from '../../../src/daemon/status-view.ts';
import { createLogger } from '../../../src/util/logger.ts';
import type { NoteStore } from '../../../src/vault/note-store.ts';

/** A writer whose store records the moments it writes, and whose view's text is `size` characters. */
function setup(size: () => number) {
  const writes: number[] = [];
  const store = { write: async () => void writes.push(Date.now()) } as unknown as NoteStore;
  const view = { statusText: () => 'x'.repeat(size()) } as unknown as StatusView;
  const writer = new StatusWriter({ store, logger: createLogger({ level: 'error' }), view, dashboard: undefined, started: () => true });
  return { writer, writes };
}

describe('status.json pacing', () => {
  afterEach(() => vi.useRealTimers());

  it('a burst of changes makes one write, 200 ms after the first', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { writer, writes } = setup(() => 2_000);
    for (let i = 0; i < 50; i++) writer.changed();
    await vi.advanceTimersByTimeAsync(199);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([200]);
  });

  it('a large file is written less often: its bytes a second stay bounded', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { writer, writes } = setup(() => 300_000);
    writer.changed();
    await vi.advanceTimersByTimeAsync(200);
    expect(writes).toEqual([200]);
    writer.changed();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(writes).toEqual([200]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([200, 3_200]);
  });

  it('closing writes the last state at once', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { writer, writes } = setup(() => 300_000);
    writer.changed();
    await vi.advanceTimersByTimeAsync(200);
    writer.changed();
    await writer.close();
    expect(writes).toEqual([200, 200]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(writes).toEqual([200, 200]);
  });
});
