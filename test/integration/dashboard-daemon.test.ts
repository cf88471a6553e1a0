// Dashboard.md through the real daemon: the real watcher, the fake `claude`, a clock that starts at a chosen
// moment, and the note read back from disk. The write throttle is cut to 50 ms so the note catches up quickly;
// each test waits until the note on disk is what the daemon's state renders to.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.ts';
import type { TurnLogEntry } from '../../src/state/turns-log.ts';
import { money, renderDashboard, type DashboardSnapshot } from '../../src/dashboard/render.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { clockFrom, linkedPath, TEST_CONFIG, waitForStatus, type MemoryLogger } from '../helpers/daemon-harness.ts';
import { useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { agentNote, createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DASHBOARD = 'Dashboard.md';
const REFUSED = 'Dashboard.md is a note of yours (no agent/dashboard tag): not overwritten';

let vault: TempVault | undefined;
let fake: FakeClaude | undefined;
let daemon: Daemon | undefined;
let logger: MemoryLogger;
let finished: TurnLogEntry[];
/** How many times the dashboard writer asked for the daemon's state (each is a render). */
let renders: number;
/** The daemon's state now, without counting as a render. */
let snapshot: () => DashboardSnapshot;

afterEach(async () => {
  try {
    await daemon?.close({ graceMs: 1_000 });
  } finally {
    await fake?.restore();
    await vault?.cleanup();
    daemon = undefined;
    fake = undefined;
    vault = undefined;
  }
});

async function startDaemon(files: Record<string, string>): Promise<{ vault: TempVault; daemon: Daemon }> {
  fake = await useFakeClaude();
  vault = await createTempVault(files);
  logger = createMemoryLogger();
  finished = [];
  renders = 0;
  daemon = new Daemon({
    vault: vault.root,
    config: { ...TEST_CONFIG, dashboard: true, dashboardIntervalMs: 50 },
    logger,
    clock: clockFrom('2026-06-01T10:00:00Z'),
    onTurnFinished: (entry) => finished.push(entry),
  });
  // The writer calls `this.dashboardSnapshot()`: an own property in front of the method counts each render.
  const original = daemon.dashboardSnapshot.bind(daemon);
  snapshot = original;
  daemon.dashboardSnapshot = () => {
    renders++;
    return original();
  };
  await daemon.start();
  return { vault, daemon };
}

/** Runs one message to its end and returns the turn the daemon recorded for it. */
async function run(v: TempVault, name: string, to: string, text = `${name}, please.`): Promise<TurnLogEntry> {
  const msg = await v.writeMessage(name, to, text);
  const done = await waitForStatus(v, msg, 'done');
  const turn = finished.find((t) => t.message === msg);
  expect(turn, `the turn of ${msg}`).toBeDefined();
  expect(turn!.reply).toBe(linkedPath(done.reply));
  return turn!;
}

/** Dashboard.md once it shows the daemon's state as it is now; returns its text. */
async function caughtUp(v: TempVault): Promise<string> {
  return waitFor(
    async () => {
      const text = await v.read(DASHBOARD);
      return text === renderDashboard(snapshot()) ? text : null;
    },
    { what: 'Dashboard.md showing the current state' },
  );
}

/** The cells of the table row that starts with `first`, unescaped: `[[A\|a]]` reads `[[A|a]]`. */
function row(text: string, first: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith('| ') && cells(l)[0] === first);
  expect(line, `a row starting ${first} in\n${text}`).toBeDefined();
  return cells(line!);
}

function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The lines of a `## ` section, without the blank ones. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  expect(start, `## ${heading} in\n${text}`).toBeGreaterThan(-1);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((l) => l.trim() !== '');
}

/** `06-01 10:00`, as the dashboard shows a local ISO time. */
function shown(iso: string): string {
  const m = /^\d{4}-(\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  expect(m, iso).not.toBeNull();
  return `${m![1]} ${m![2]}`;
}

const sum = (turns: TurnLogEntry[]) => turns.reduce((total, t) => total + t.costUsd, 0);

describe('Dashboard.md', () => {
  it('after a day of turns it shows each agent in its state, the turns newest first, what needs attention and the costs', async () => {
    const { vault: v, daemon: d } = await startDaemon({
      'Agents/helper.md': agentNote({ description: 'answers questions' }),
      'Agents/sleeper.md': agentNote({ enabled: false }),
      // The fake turn costs $0.00014: one turn is over this day's budget.
      'Agents/spender.md': agentNote({ daily_budget_usd: 0.0001 }),
      'Agents/broken.md': agentNote({ max_turns: 'lots' }),
    });

    const morning = await run(v, 'Morning', 'helper');
    const spent = await run(v, 'First spend', 'spender');
    const afternoon = await run(v, 'Afternoon', 'helper');
    const held = await v.writeMessage('Second spend', 'spender', 'One more, please.');
    await waitFor(async () => (await v.fields(held)).waiting_for, { what: 'the second spend waiting for the budget' });
    const asleep = await v.writeMessage('Wake up', 'sleeper', 'Are you there?');
    await waitForStatus(v, asleep, 'queued');
    const lost = await v.writeMessage('Lost', 'nobody', 'Anyone?');
    const lostFields = await waitForStatus(v, lost, 'error');
    await d.idle();
    expect(fake!.invocations()).toHaveLength(3);

    const text = await caughtUp(v);
    expect(await v.fields(DASHBOARD)).toEqual({ tags: ['agent/dashboard'] });

    // The day in one line.
    const all = [morning, spent, afternoon];
    expect(sum(all)).toBeGreaterThan(0);
    expect(text).toContain(`\n3 turns today · ${money(sum(all))} today · ${money(sum(all))} this month\n`);

    // Agents: one row each, in its state.
    const helperCost = money(sum([morning, afternoon]));
    expect(row(text, '[[Agents/helper|helper]]')).toEqual(['[[Agents/helper|helper]]', 'idle', shown(afternoon.at), '—', helperCost, helperCost]);
    expect(helperCost).not.toBe('$0.0000');
    const spender = row(text, '[[Agents/spender|spender]]');
    expect(spender[1]).toMatch(/^over budget — daily_budget_usd reached: \$[\d.]+ spent today of \$0\.00010; waits until tomorrow$/);
    expect(spender.slice(2)).toEqual([shown(spent.at), '—', money(spent.costUsd), money(spent.costUsd)]);
    expect(row(text, '[[Agents/sleeper|sleeper]]')).toEqual(['[[Agents/sleeper|sleeper]]', 'disabled', '—', '—', '$0.0000', '$0.0000']);
    const broken = row(text, '[[Agents/broken|broken]]');
    expect(broken[1]).toMatch(/^error — max_turns: expected a whole number above 0, found .*lots/);
    expect(broken.slice(2)).toEqual(['—', '—', '$0.0000', '$0.0000']);
    expect(section(text, 'Agents').filter((l) => l.startsWith('| [[Agents/'))).toHaveLength(4);

    // Recent turns: newest first, each linking its message, its thread and its reply.
    const turnRows = section(text, 'Recent turns').slice(2).map(cells);
    expect(turnRows.map((r) => r[2])).toEqual(['[[Inbox/Afternoon|Afternoon]]', '[[Inbox/First spend|First spend]]', '[[Inbox/Morning|Morning]]']);
    for (const [turnRow, turn] of [
      [turnRows[0]!, afternoon],
      [turnRows[1]!, spent],
      [turnRows[2]!, morning],
    ] as const) {
      expect(turnRow[0]).toBe(shown(turn.at));
      expect(turnRow[1]).toBe(turn.agent);
      expect(turnRow[3]).toBe(`[[Threads/${turn.agent}|${turn.agent}]]`);
      expect(turn.thread).toBe(`Threads/${turn.agent}.md`);
      expect(turnRow[4]).toBe(`✓ [[${turn.reply.replace(/\.md$/, '')}|reply]]`);
      expect(turnRow[5]).toBe(money(turn.costUsd));
    }

    // Needs attention: the failed message and the invalid definition, with their reasons; nothing else
    // (a message waiting for its budget or its disabled agent is not in error).
    const attention = section(text, 'Needs attention');
    expect(attention).toHaveLength(2);
    expect(attention[0]).toMatch(/^- \[\[Agents\/broken\]\]: max_turns: expected a whole number above 0, found .*lots/);
    expect(attention[1]).toBe(`- [[Inbox/Lost]]: ${String(lostFields.error)}`);
    expect(String(lostFields.error)).toContain('no agent named "nobody"');

    // The last write at shutdown shows the same state: nothing to change.
    await d.close();
    expect(await v.read(DASHBOARD)).toBe(text);
  });

  it.each([
    ['with frontmatter of its own', '---\ntags:\n  - home\ncssclasses: wide\n---\n# My dashboard\n\nLinks to [[Projects]] and [[Reading]].\n'],
    ['without frontmatter', '# Dashboard\n\nMy own page. Please keep it.\n'],
  ])('a Dashboard.md the user wrote (%s) is never overwritten, and the log says so once', async (_, mine) => {
    const { vault: v, daemon: d } = await startDaemon({ [DASHBOARD]: mine, 'Agents/helper.md': agentNote() });
    await run(v, 'First', 'helper');
    await run(v, 'Second', 'helper');
    await waitFor(() => logger.lines.some((l) => l.msg === REFUSED), { what: 'the refusal in the log' });
    await d.idle();
    await d.close();

    expect(await v.read(DASHBOARD)).toBe(mine);
    // It was looked at more than once (the turns, the last write at shutdown) and said so once.
    expect(renders).toBeGreaterThan(1);
    const refused = logger.lines.filter((l) => l.msg === REFUSED);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ level: 'warn', note: DASHBOARD });
  });

  it('is not written again when what it shows has not changed', async () => {
    const { vault: v, daemon: d } = await startDaemon({
      'Agents/helper.md': agentNote({ description: 'first description' }),
      'Notes/Ideas.md': '# Ideas\n\n- one\n',
    });
    await run(v, 'Question', 'helper');
    await d.idle();
    const text = await caughtUp(v);
    const file = path.join(v.root, DASHBOARD);
    const before = await stat(file);

    // An ordinary note, and a definition edit that the dashboard does not show (the description): the
    // second makes the daemon look at its state again, so the writer renders, finds the same text, and stops.
    await v.write('Notes/Ideas.md', '# Ideas\n\n- one\n- two\n');
    await v.writeAgent('helper', { description: 'second description' });
    await waitFor(() => logger.lines.filter((l) => l.msg === 'agent definition loaded').length >= 2, { what: 'the edited definition read' });
    const rendersAfterEdit = renders;
    await d.idle();
    // Shutdown waits for a write under way and renders once more, after the edit.
    await d.close();
    expect(renders).toBeGreaterThan(rendersAfterEdit);

    const after = await stat(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await v.read(DASHBOARD)).toBe(text);
  });
});
