import { describe, it, expect } from 'vitest';
import {
  DASHBOARD_NOTE,
  money,
  renderDashboard,
  type DashboardAgent,
  type DashboardSnapshot,
  type DashboardTurn,
} from '../../../src/dashboard/render.ts';
import { parseFrontmatter } from '../../../src/vault/frontmatter.ts';
import { roleOf } from '../../../src/vault/tags.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** Turn `i` of the day: 09:00 + i minutes; turns 5, 12 and 19 fail. */
function turn(i: number): DashboardTurn {
  const stamp = `0900 note ${pad(i)}`;
  const ok = i % 7 !== 5;
  return {
    at: `2026-11-21T09:${pad(i)}:30+01:00`,
    agent: i % 2 === 0 ? 'researcher' : 'writer',
    message: `Inbox/2026-11-21 ${stamp}.md`,
    thread: i % 2 === 0 ? 'Threads/researcher.md' : `Threads/writer/2026-11-21 ${stamp}.md`,
    reply: `Outbox/2026-11-21 ${stamp} reply.md`,
    ok,
    error: ok ? undefined : 'claude exited with code 1',
    costUsd: 0.0123 + i / 10000,
    durationMs: 8200 + i * 1000,
  };
}

const agents: DashboardAgent[] = [
  {
    name: 'researcher',
    path: 'Agents/researcher.md',
    state: 'idle',
    queued: 0,
    lastRun: '2026-11-21T09:24:30+01:00',
    nextRun: '2026-11-22T07:00:00+01:00',
    costToday: 0.1562,
    costMonth: 3.456,
  },
  { name: 'writer', path: 'Agents/writer.md', state: 'queued', queued: 2, lastRun: '2026-11-21T09:23:30+01:00', costToday: 0.15, costMonth: 0.98 },
  { name: 'archivist', path: 'Agents/archivist.md', state: 'disabled', queued: 0, costToday: 0, costMonth: 0 },
  {
    name: 'accountant',
    path: 'Agents/team/accountant.md',
    state: 'over budget',
    queued: 1,
    detail: 'daily budget $2.00 spent',
    lastRun: '2026-11-21T08:15:00+01:00',
    nextRun: '2026-11-22T00:00:00+01:00',
    costToday: 2.01,
    costMonth: 14.5,
  },
];

function day(): DashboardSnapshot {
  return {
    halted: false,
    agents,
    // Newest first, as the caller hands them over.
    turns: Array.from({ length: 25 }, (_, i) => turn(24 - i)),
    errors: [
      { path: 'Inbox/2026-11-21 0800 broken.md', reason: 'to: "nobody" is not an agent (agents: researcher, writer, archivist, accountant)' },
      { path: 'Agents/broken.md', reason: 'schedule "0 25 * * *" is not a valid cron expression (hour 25)' },
    ],
    totals: { costToday: 2.3162, costMonth: 18.936, turnsToday: 25 },
  };
}

function section(text: string, heading: string): string {
  const start = text.indexOf(`## ${heading}\n`);
  expect(start, `section "${heading}"`).toBeGreaterThan(-1);
  const rest = text.slice(start + heading.length + 4);
  const end = rest.indexOf('\n## ');
  return end === -1 ? rest : rest.slice(0, end);
}

const tableRows = (text: string) => text.split('\n').filter((line) => line.startsWith('|'));

/** Cell borders as GFM reads a row: a `|` after an even number of backslashes. */
function borders(row: string): number {
  let count = 0;
  let slashes = 0;
  for (const ch of row) {
    if (ch === '|' && slashes % 2 === 0) count++;
    slashes = ch === '\\' ? slashes + 1 : 0;
  }
  return count;
}

describe('renderDashboard', () => {
  it('is a dashboard note that says it is rewritten, with no clock in it', () => {
    const text = renderDashboard(day());
    const { data, body } = parseFrontmatter(text);
    expect(DASHBOARD_NOTE).toBe('Dashboard.md');
    expect(data).toEqual({ tags: ['agent/dashboard'] });
    expect(roleOf(data.tags)).toBe('dashboard');
    expect(body).toMatch(/^%% Scriptorium rewrites this note .*edits made here are overwritten\. %%$/m);
    expect(body.toLowerCase()).not.toMatch(/generated|updated at/);
  });

  it('opens with the turns and cost of the day and the month', () => {
    const body = parseFrontmatter(renderDashboard(day())).body;
    expect(body).toContain('\n25 turns today · $2.32 today · $18.94 this month\n');
    expect(body).not.toContain('Halted');
    const one = renderDashboard({ ...day(), totals: { costToday: 0.0042, costMonth: 0.5, turnsToday: 1 } });
    expect(one).toContain('\n1 turn today · $0.0042 today · $0.5000 this month\n');
  });

  it('lists each agent with a link to its definition, its state, runs and cost', () => {
    const rows = tableRows(section(renderDashboard(day()), 'Agents'));
    expect(rows).toEqual([
      '| Agent | State | Last run | Next run | Today | Month |',
      '| --- | --- | --- | --- | --- | --- |',
      '| [[Agents/researcher\\|researcher]] | idle | 11-21 09:24 | 11-22 07:00 | $0.1562 | $3.46 |',
      '| [[Agents/writer\\|writer]] | queued:2 | 11-21 09:23 | — | $0.1500 | $0.9800 |',
      '| [[Agents/archivist\\|archivist]] | disabled | — | — | $0.0000 | $0.0000 |',
      '| [[Agents/team/accountant\\|accountant]] | over budget, queued:1 — daily budget $2.00 spent | 11-21 08:15 | 11-22 00:00 | $2.01 | $14.50 |',
    ]);
  });

  it('shows the 20 newest turns, newest first, with links to the message, thread and reply', () => {
    const rows = tableRows(section(renderDashboard(day()), 'Recent turns'));
    expect(rows[0]).toBe('| When | Agent | Message | Thread | Result | Cost | Duration |');
    const turns = rows.slice(2);
    expect(turns).toHaveLength(20);
    expect(turns.map((r) => r.split(' | ')[0])).toEqual(Array.from({ length: 20 }, (_, i) => `| 11-21 09:${pad(24 - i)}`));
    expect(turns[0]).toBe(
      '| 11-21 09:24 | researcher | [[Inbox/2026-11-21 0900 note 24\\|2026-11-21 0900 note 24]] | [[Threads/researcher\\|researcher]] ' +
        '| ✓ [[Outbox/2026-11-21 0900 note 24 reply\\|reply]] | $0.0147 | 32.2 s |',
    );
    // Turn 19 failed: the failure note is linked and the error is in the cell.
    expect(turns[24 - 19]).toBe(
      '| 11-21 09:19 | writer | [[Inbox/2026-11-21 0900 note 19\\|2026-11-21 0900 note 19]] ' +
        '| [[Threads/writer/2026-11-21 0900 note 19\\|2026-11-21 0900 note 19]] ' +
        '| ✗ [[Outbox/2026-11-21 0900 note 19 reply\\|failure]] claude exited with code 1 | $0.0142 | 27.2 s |',
    );
    const text = renderDashboard(day());
    for (const older of ['note 04', 'note 03', 'note 00']) expect(text).not.toContain(older);
  });

  it('lists every note in error with its reason', () => {
    const list = section(renderDashboard(day()), 'Needs attention').trim();
    expect(list).toBe(
      [
        '- [[Inbox/2026-11-21 0800 broken]]: to: "nobody" is not an agent (agents: researcher, writer, archivist, accountant)',
        '- [[Agents/broken]]: schedule "0 25 * * *" is not a valid cron expression (hour 25)',
      ].join('\n'),
    );
  });

  it('says so when nothing is in error, no turn has run and no agent is defined', () => {
    const text = renderDashboard({ halted: false, agents: [], turns: [], errors: [], totals: { costToday: 0, costMonth: 0, turnsToday: 0 } });
    expect(section(text, 'Agents').trim()).toBe('No agents are defined. An agent is a note tagged `agent/definition` (for example in `Agents/`).');
    expect(section(text, 'Recent turns').trim()).toBe('No turns yet.');
    expect(section(text, 'Needs attention').trim()).toBe('Nothing is in error.');
    expect(text).toContain('\n0 turns today · $0.0000 today · $0.0000 this month\n');
    expect(text).not.toContain('| ');
  });

  it('a halted vault gets a banner with the reason, and its agents read halted', () => {
    const halted: DashboardSnapshot = {
      ...day(),
      halted: true,
      haltReason: 'budget review\nback tomorrow.',
      agents: agents.map((a) => (a.state === 'disabled' ? a : { ...a, state: 'halted', detail: undefined })),
    };
    const body = parseFrontmatter(renderDashboard(halted)).body;
    expect(body).toContain(
      '# Dashboard\n\n> [!warning] Halted\n> budget review back tomorrow. No turn starts and no schedule fires until `scriptorium resume` (or HALT.md is deleted).\n\n25 turns today',
    );
    const states = tableRows(section(body, 'Agents')).slice(2).map((r) => r.split(' | ')[1]);
    expect(states).toEqual(['halted', 'halted, queued:2', 'disabled', 'halted, queued:1']);
    expect(renderDashboard({ ...halted, haltReason: undefined })).toContain('> HALT.md is present. No turn starts');
  });

  it("a vault over the operator's spending cap gets a banner at the top saying so and why", () => {
    const reason = 'vault daily_budget_usd reached: $5.02 spent today of $5.00 (operator config); waits until tomorrow';
    const body = parseFrontmatter(renderDashboard({ ...day(), spendingStopped: reason })).body;
    expect(body).toContain(
      `# Dashboard\n\n> [!warning] Spending stopped\n> ${reason}. No turn starts for any agent until then: messages wait \`queued\` and run by themselves. Running turns finish.\n\n25 turns today`,
    );
    // Halted as well: both are said, the halt first.
    const both = parseFrontmatter(renderDashboard({ ...day(), halted: true, haltReason: 'maintenance', spendingStopped: reason })).body;
    expect(both.indexOf('[!warning] Halted')).toBeLessThan(both.indexOf('[!warning] Spending stopped'));
    expect(renderDashboard(day())).not.toContain('Spending stopped');
  });

  it('an agent in error shows why, and a working agent its queue', () => {
    const rows = tableRows(
      section(
        renderDashboard({
          ...day(),
          agents: [
            { ...agents[0]!, state: 'error', detail: 'Agents/researcher.md: model "gpt" is not a Claude model' },
            { ...agents[1]!, state: 'working', queued: 3 },
          ],
        }),
        'Agents',
      ),
    );
    expect(rows[2]).toContain('| error — Agents/researcher.md: model "gpt" is not a Claude model |');
    expect(rows[3]).toContain('| working, queued:3 |');
  });

  it('pipes and line breaks in free text never break a table row', () => {
    const nasty = 'exit 1\nstderr: a | b || c\\|d\r\n\tlast line';
    const snapshot: DashboardSnapshot = {
      ...day(),
      agents: [{ ...agents[0]!, name: 'odd|name', state: 'error', detail: nasty }],
      turns: [{ ...turn(5), error: nasty }],
      errors: [{ path: 'Inbox/x.md', reason: nasty }],
    };
    const text = renderDashboard(snapshot);
    const agentRows = tableRows(section(text, 'Agents'));
    const turnRows = tableRows(section(text, 'Recent turns'));
    expect(agentRows).toHaveLength(3);
    expect(turnRows).toHaveLength(3);
    for (const row of agentRows) expect(borders(row)).toBe(7);
    for (const row of turnRows) expect(borders(row)).toBe(8);
    expect(agentRows[2]).toContain('[[Agents/researcher\\|odd\\|name]]');
    expect(agentRows[2]).toContain('error — exit 1 stderr: a \\| b \\|\\| c\\\\\\|d last line |');
    // Outside a table a pipe needs no escape, but the reason still stays on its list item's line.
    expect(section(text, 'Needs attention').trim()).toBe('- [[Inbox/x]]: exit 1 stderr: a | b || c\\|d last line');
  });

  it('cuts long reasons to about 160 characters', () => {
    const long = 'word '.repeat(100);
    const text = renderDashboard({ ...day(), errors: [{ path: 'Inbox/x.md', reason: long }] });
    const item = section(text, 'Needs attention').trim();
    const reason = item.slice('- [[Inbox/x]]: '.length);
    expect(reason.endsWith('…')).toBe(true);
    expect(Array.from(reason).length).toBeLessThanOrEqual(160);
    expect(reason.length).toBeGreaterThan(150);
  });

  it('an Obsidian comment opener in an error cannot hide the rest of the note', () => {
    const text = renderDashboard({ ...day(), errors: [{ path: 'Inbox/x.md', reason: 'bad %%% value' }] });
    const body = parseFrontmatter(text).body;
    expect(body.split('\n').slice(1).join('\n')).not.toContain('%%');
  });

  it('renders the same snapshot to the same bytes', () => {
    const a = renderDashboard(day());
    const b = renderDashboard(structuredClone(day()));
    expect(b).toBe(a);
    expect(renderDashboard({ ...day(), totals: { ...day().totals, turnsToday: 26 } })).not.toBe(a);
  });
});

describe('money', () => {
  it('shows cents above a dollar and four decimals below', () => {
    expect([0, 0.0123, 0.5, 0.99996, 1, 2.005, 123.456].map(money)).toEqual(['$0.0000', '$0.0123', '$0.5000', '$1.00', '$1.00', '$2.00', '$123.46']);
  });
});
