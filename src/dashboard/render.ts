import type { TurnLogEntry } from '../state/turns-log.ts';
import type { NeedsYou } from '../state/status-file.ts';
import { stringifyNote } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';
import { ROLE_TAGS } from '../vault/tags.ts';

/**
 * The `Dashboard.md` note: agents, recent turns and notes in error, as plain markdown tables so it renders in
 * Obsidian without plugins. Pure: the text is a function of the snapshot only (no clock, no "generated at"),
 * because the caller rewrites the note only when the rendered text changes.
 */

export const DASHBOARD_NOTE = 'Dashboard.md';

export type DashboardAgentState = 'idle' | 'working' | 'queued' | 'halted' | 'disabled' | 'over budget' | 'error';

export interface DashboardAgent {
  name: string;
  /** Vault path of the definition note, e.g. `Agents/researcher.md`. */
  path: string;
  state: DashboardAgentState;
  queued: number;
  /** Why: the error text, or the hold reason (`daily budget $2.00 spent`). */
  detail?: string | undefined;
  /** Local ISO with offset (`2026-11-21T09:00:00+01:00`). */
  lastRun?: string | undefined;
  nextRun?: string | undefined;
  costToday: number;
  costMonth: number;
}

/** A finished turn as `.scriptorium/turns.jsonl` records it (vault paths of message, thread and reply). */
export type DashboardTurn = Omit<TurnLogEntry, 'session'>;

export interface DashboardSnapshot {
  halted: boolean;
  haltReason?: string | undefined;
  /** Set while the vault is over a spending cap of the operator config: why no turn starts. */
  spendingStopped?: string | undefined;
  /** Approvals to decide and questions to answer: shown first, since a turn waits on each. */
  needsYou?: NeedsYou[] | undefined;
  agents: DashboardAgent[];
  /** Newest first; at most {@link MAX_TURNS} are shown. */
  turns: DashboardTurn[];
  errors: Array<{ path: string; reason: string }>;
  totals: { costToday: number; costMonth: number; turnsToday: number };
}

export const MAX_TURNS = 20;
const MAX_TEXT = 160;

export function renderDashboard(snapshot: DashboardSnapshot): string {
  const body = [
    '%% Scriptorium rewrites this note whenever what it shows changes: edits made here are overwritten. %%',
    '',
    '# Dashboard',
    '',
    ...summary(snapshot),
    '',
    // Only when something waits: a turn stands still until a person acts.
    ...(snapshot.needsYou?.length ? ['## Needs you', '', ...needsYouSection(snapshot.needsYou), ''] : []),
    '## Agents',
    '',
    ...agentsSection(snapshot.agents),
    '',
    '## Recent turns',
    '',
    ...turnsSection(snapshot.turns),
    '',
    '## Needs attention',
    '',
    ...errorsSection(snapshot.errors),
  ];
  return stringifyNote({ tags: [ROLE_TAGS.dashboard] }, body.join('\n') + '\n');
}

function summary(s: DashboardSnapshot): string[] {
  const { turnsToday, costToday, costMonth } = s.totals;
  const line = `${turnsToday} ${turnsToday === 1 ? 'turn' : 'turns'} today · ${money(costToday)} today · ${money(costMonth)} this month`;
  // Callouts are core Obsidian: the banners stand out without a plugin.
  const banners: string[] = [];
  if (s.halted) {
    const reason = s.haltReason?.trim() ? oneLine(s.haltReason).replace(/\.+$/, '') : 'HALT.md is present';
    banners.push('> [!warning] Halted', `> ${reason}. No turn starts and no schedule fires until \`scriptorium resume\` (or HALT.md is deleted).`, '');
  }
  if (s.spendingStopped?.trim()) {
    banners.push(
      '> [!warning] Spending stopped',
      `> ${oneLine(s.spendingStopped).replace(/\.+$/, '')}. No turn starts for any agent until then: messages wait \`queued\` and run by themselves. Running turns finish.`,
      '',
    );
  }
  return [...banners, line];
}

function needsYouSection(items: NeedsYou[]): string[] {
  return table(
    ['Note', 'Agent', 'Asks', 'Since', 'Until'],
    items.map((i) => [wikilink(i.path, i.kind === 'approval' ? 'approve or deny' : 'answer'), i.agent, oneLine(i.what), when(i.since), when(i.expiresAt)]),
  );
}

function agentsSection(agents: DashboardAgent[]): string[] {
  if (agents.length === 0) {
    return ['No agents are defined. An agent is a note tagged `agent/definition` (for example in `Agents/`).'];
  }
  return table(
    ['Agent', 'State', 'Last run', 'Next run', 'Today', 'Month'],
    agents.map((a) => [wikilink(a.path, a.name), stateText(a), when(a.lastRun), when(a.nextRun), money(a.costToday), money(a.costMonth)]),
  );
}

/** `queued:2`, `working, queued:1`, `over budget — daily budget $2.00 spent`: the same words as `scriptorium status`. */
function stateText(a: DashboardAgent): string {
  const base = a.state === 'queued' ? `queued:${a.queued}` : a.queued > 0 ? `${a.state}, queued:${a.queued}` : a.state;
  return a.detail?.trim() ? `${base} — ${oneLine(a.detail)}` : base;
}

function turnsSection(turns: DashboardTurn[]): string[] {
  if (turns.length === 0) return ['No turns yet.'];
  return table(
    ['When', 'Agent', 'Message', 'Thread', 'Result', 'Cost', 'Duration'],
    turns.slice(0, MAX_TURNS).map((t) => [when(t.at), t.agent, link(t.message), link(t.thread), result(t), money(t.costUsd), duration(t.durationMs)]),
  );
}

function result(t: DashboardTurn): string {
  if (t.ok) return t.reply ? `✓ ${wikilink(t.reply, 'reply')}` : '✓';
  const why = t.error?.trim() ? ` ${oneLine(t.error)}` : '';
  return t.reply ? `✗ ${wikilink(t.reply, 'failure')}${why}` : `✗${why}`;
}

function errorsSection(errors: Array<{ path: string; reason: string }>): string[] {
  if (errors.length === 0) return ['Nothing is in error.'];
  return errors.map((e) => `- ${wikilink(e.path)}: ${oneLine(e.reason)}`);
}

/** A GFM table; every `|` inside a cell is escaped, so each row keeps its column count whatever the text holds. */
function table(header: string[], rows: string[][]): string[] {
  const row = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [row(header), `|${header.map(() => ' --- |').join('')}`, ...rows.map(row)];
}

/**
 * `|` → `\|`, which is also how Obsidian wants a link alias written inside a table (`[[A\|a]]`).
 * Backslashes already in front of a pipe are doubled: in GFM `\\|` is an escaped backslash followed by a
 * cell border, so `a\|b` in an error text would otherwise still split the row.
 */
function escapeCell(text: string): string {
  return text.replace(/(\\*)\|/g, (_, slashes: string) => `${slashes}${slashes}\\|`);
}

/** Free text on one line, cut to a length a table cell can hold. */
function oneLine(text: string): string {
  // `%%` opens an Obsidian comment, which would hide the rest of the note.
  const flat = text.replace(/\s+/g, ' ').replace(/%(?=%)/g, '% ').trim();
  // By code point, so an emoji is never cut in half.
  const chars = Array.from(flat);
  return chars.length > MAX_TEXT ? chars.slice(0, MAX_TEXT - 1).join('').trimEnd() + '…' : flat;
}

/** A note by its file name: folders make table cells wide, and the link still opens the right note. */
function link(vaultPath: string): string {
  if (!vaultPath) return '—';
  const base = vaultPath.replace(/\.md$/i, '').split('/').pop() ?? vaultPath;
  return wikilink(vaultPath, base);
}

/** `11-21 09:00` read off the local ISO text: the time as the daemon's machine wrote it, no zone conversion. */
function when(iso: string | undefined): string {
  if (!iso?.trim()) return '—';
  const m = /^\d{4}-(\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso.trim());
  return m ? `${m[1]} ${m[2]}` : oneLine(iso);
}

/** `$0.0123` under a dollar, `$12.34` from there. */
export function money(usd: number): string {
  if (!Number.isFinite(usd)) return '—';
  const fine = usd.toFixed(4);
  // 0.99996 rounds to 1.0000: shown as a dollar amount like any other.
  return Math.abs(Number(fine)) < 1 ? `$${fine}` : `$${usd.toFixed(2)}`;
}

/** `8.2 s`, `2 min 05 s`. */
function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const seconds = ms / 1000;
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}
