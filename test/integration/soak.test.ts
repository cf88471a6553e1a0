// A short soak in every test run (the long one is `npm run drill:soak`): turns keep coming while the
// user edits ordinary notes, thread notes and replies; Scriptorium's own writes wake nothing.
import { describe, expect, it } from 'vitest';
import { soak } from '../../drills/soak.ts';

describe('soak', () => {
  it('150 turns with the user editing other notes meanwhile: every message done, no spurious turn', async () => {
    const figures = await soak(150, 5);
    expect(figures.notDone).toBe(0);
    expect(figures.spuriousTurns).toBe(0);
    expect(figures.runnerCalls).toBe(150);
    expect(figures.userEdits).toBeGreaterThan(50);
  }, 600_000); // ~20 s on an idle machine; a busy one may take ten times as long
});
