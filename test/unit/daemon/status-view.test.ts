import { describe, expect, it } from 'vitest';
import { parseDefinition } from '../../../src/agents/definition.ts';
import { AgentRegistry } from '../../../src/agents/registry.ts';
import { AgentHolds } from '../../../src/daemon/agent-holds.ts';
import { StatusView } from '../../../src/daemon/status-view.ts';
import { NoteIndex } from '../../../src/intake/note-index.ts';
import { Lanes } from '../../../src/queue/lanes.ts';
import { Ledger } from '../../../src/state/ledger.ts';
import type { TurnLogEntry } from '../../../src/state/turns-log.ts';
import type { FrontmatterData } from '../../../src/vault/frontmatter.ts';

/** The views' sources wired as the daemon wires them (daemon/pieces.ts): each change tells the view of its agent. */
function setup(agents: number, data: (name: string) => FrontmatterData = () => ({}), options: { lookAtEveryChange?: boolean } = {}) {
  let now = new Date('2026-06-02T09:00:00');
  const schedule = { next: new Map<string, Date | null>(), last: new Map<string, string>() };
  let view: StatusView | undefined;
  const registry = new AgentRegistry({ onChange: (name) => view?.agentChanged(name) });
  const lanes = new Lanes<() => Promise<void>>({
    concurrency: 4,
    run: (job) => job(),
    onChange: (agent) => {
      if (agent === undefined) view?.everyAgentChanged();
      else view?.agentChanged(agent);
      // A reader looking at once, in the same tick as the change (the daemon's look later, on a timer).
      if (options.lookAtEveryChange) view?.agentStatuses();
    },
  });
  const holds = new AgentHolds((agent) => view?.agentChanged(agent));
  const ledger = new Ledger();
  const halt = { halted: false, reason: undefined as string | undefined };
  view = new StatusView({
    root: '/vault',
    concurrency: 4,
    registry,
    lanes,
    ledger,
    budget: { dailyUsd: undefined, monthlyUsd: undefined },
    index: new NoteIndex(),
    clock: { now: () => now },
    holds,
    schedule: { nextRuns: () => new Map(schedule.next), lastRuns: () => new Map(schedule.last) },
    halt,
    startedAt: () => '2026-06-02T08:00:00+00:00',
    needsYou: () => [],
  });
  const define = (name: string, fields: FrontmatterData = data(name)) => registry.set(`Agents/${name}.md`, parseDefinition(`Agents/${name}.md`, fields, 'Prompt.', '/vault'));
  for (let i = 0; i < agents; i++) define(`a${String(i).padStart(3, '0')}`);
  const finish = (agent: string, at: Date, costUsd: number) => {
    const entry: TurnLogEntry = { at: at.toISOString(), agent, message: 'Inbox/m.md', thread: 'Threads/t.md', reply: 'Outbox/r.md', ok: true, error: undefined, costUsd, durationMs: 1, session: undefined };
    ledger.record(entry);
    view!.addTurns(entry);
  };
  return { view, registry, lanes, holds, ledger, halt, schedule, define, finish, setNow: (d: Date) => (now = d) };
}

const row = (view: StatusView, name: string) => view.dashboard().agents.find((a) => a.name === name)!;
const entry = (view: StatusView, name: string) => view.agentStatuses().find((a) => a.name === name)!;

describe('status.json from kept entries', () => {
  it('its text is the status as JSON, whatever the entries hold', () => {
    const { view, define } = setup(3);
    define('broken', { mode: 'fast "really"\nfast' });
    define('x', { description: 'says "hi" \\ and }, ] ,\n  "agents": []' });
    expect(view.statusText()).toBe(JSON.stringify(view.statusFile(), null, 2) + '\n');
    expect(JSON.parse(view.statusText()).agents.map((a: { name: string }) => a.name)).toEqual(['a000', 'a001', 'a002', 'broken', 'x']);
  });

  it('with no agent defined its text is still the status as JSON', () => {
    const { view } = setup(0);
    expect(view.statusText()).toBe(JSON.stringify(view.statusFile(), null, 2) + '\n');
  });

  it("an agent's change shows at the next write, and the other agents' entries are not made again", async () => {
    const { view, lanes } = setup(100, undefined, { lookAtEveryChange: true });
    view.statusText();
    expect(view.made.entries).toBe(100);
    view.statusText();
    expect(view.made.entries).toBe(100);

    let release: () => void = () => {};
    const running = new Promise<void>((resolve) => (release = resolve));
    lanes.add('a042', () => running);
    lanes.add('a042', async () => {});
    await Promise.resolve();
    expect(entry(view, 'a042')).toMatchObject({ state: 'working', queued: 1 });
    expect(JSON.parse(view.statusText()).agents[42]).toMatchObject({ name: 'a042', state: 'working', queued: 1 });
    const made = view.made.entries;
    expect(made).toBeLessThan(110);
    release();
    await lanes.idle();
    // The lane empties a moment after the turn says it ended: that too is told.
    expect(entry(view, 'a042')).toMatchObject({ state: 'idle', queued: 0 });
    expect(entry(view, 'a041')).toMatchObject({ state: 'idle', queued: 0 });
    // Only a042's entry, once per change of its lane: never the other 99.
    expect(view.made.entries - made).toBeLessThan(10);
  });

  it('a hold, a schedule and an edited definition each show, for their agent only', () => {
    const { view, holds, schedule, define } = setup(10);
    view.statusText();
    holds.set('a001', 'max_runs_per_hour reached');
    schedule.next.set('a002', new Date('2026-06-03T09:00:00'));
    view.scheduleChanged('a002');
    define('a003', { description: 'new words' });
    expect(entry(view, 'a001').hold).toBe('max_runs_per_hour reached');
    expect(entry(view, 'a002').nextRun).toMatch(/^2026-06-03T09:00:00/);
    expect(entry(view, 'a003').description).toBe('new words');
    expect(view.made.entries).toBe(13);
    // The same hold set again (every turn's checks do) changes nothing.
    holds.set('a001', 'max_runs_per_hour reached');
    view.statusText();
    expect(view.made.entries).toBe(13);
    holds.delete('a001');
    expect(entry(view, 'a001').hold).toBeUndefined();
    expect(view.made.entries).toBe(14);
  });
});

describe('dashboard rows kept until their agent changes', () => {
  it("a turn shows in its agent's row (last run, costs) and the other rows are not made again", () => {
    const { view, finish } = setup(50);
    view.dashboard();
    expect(view.made.rows).toBe(50);
    finish('a007', new Date('2026-06-02T08:59:00'), 0.5);
    const snapshot = view.dashboard();
    expect(snapshot.agents.find((a) => a.name === 'a007')).toMatchObject({ costToday: 0.5, costMonth: 0.5, lastRun: new Date('2026-06-02T08:59:00').toISOString() });
    expect(snapshot.totals).toMatchObject({ costToday: 0.5, turnsToday: 1 });
    expect(view.made.rows).toBe(51);
  });

  it("a turn that leaves the last few shows its agent's older last run again", () => {
    const { view, finish } = setup(3);
    finish('a000', new Date('2026-06-02T08:00:00'), 0);
    expect(row(view, 'a000').lastRun).toBe(new Date('2026-06-02T08:00:00').toISOString());
    for (let i = 0; i < 20; i++) finish('a001', new Date(`2026-06-02T08:${String(10 + i).padStart(2, '0')}:00`), 0);
    expect(row(view, 'a000').lastRun).toBeUndefined();
  });

  it('a new day makes every row again: today starts from nothing', () => {
    const { view, finish, setNow } = setup(5);
    finish('a001', new Date('2026-06-02T08:00:00'), 1);
    expect(row(view, 'a001').costToday).toBe(1);
    const made = view.made.rows;
    setNow(new Date('2026-06-03T00:00:01'));
    expect(row(view, 'a001')).toMatchObject({ costToday: 0, costMonth: 1 });
    expect(view.made.rows).toBe(made + 5);
  });

  it('a rate limit shows until it frees, then the row is made again without any event', () => {
    const s = setup(2, (name) => (name === 'a001' ? { max_runs_per_hour: 1 } : {}));
    s.finish('a001', new Date('2026-06-02T08:30:00'), 0);
    expect(row(s.view, 'a001').state).toBe('over budget');
    s.setNow(new Date('2026-06-02T09:29:59'));
    expect(row(s.view, 'a001').state).toBe('over budget');
    s.setNow(new Date('2026-06-02T09:30:00'));
    expect(row(s.view, 'a001')).toMatchObject({ state: 'idle', detail: undefined });
  });

  it('a halt shows in every row and lifting it too', () => {
    const { view, halt } = setup(3);
    expect(row(view, 'a002').state).toBe('idle');
    halt.halted = true;
    expect(view.dashboard().agents.every((a) => a.state === 'halted')).toBe(true);
    halt.halted = false;
    expect(view.dashboard().agents.every((a) => a.state === 'idle')).toBe(true);
  });
});
