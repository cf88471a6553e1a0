import { createHash } from 'node:crypto';
import { isoLocal } from '../util/clock.ts';
import { wikilink } from '../vault/links.ts';
import { summarizeTools } from './thread-note.ts';

/**
 * A running turn, shown in its thread note (turns/live-turn.ts keeps it fresh) until its record takes its
 * place. It sits between two Obsidian comments, hidden when the note is read:
 *
 *   %% live turn 4: Scriptorium shows this turn here while it runs; its record replaces it %%
 *   ## Turn 4 · running · from user
 *   …
 *   %% end of live turn 4 · 3f2a9c1b0d4e %%
 *
 * The end marker carries a hash of the text between, so a section is known to be untouched by anyone
 * from its text alone, after a restart too: only an untouched one is ever replaced or removed. A section
 * the user has edited is theirs, and is left as they left it.
 */
export interface LiveTurnView {
  /** The turn's number in its thread, as its record will have it. */
  number: number;
  from: string;
  messagePath: string;
  startedAt: Date;
  /** The agent's own tool calls so far, in order, repeats kept (as the record counts them). */
  tools: readonly string[];
  lastActivity: { at: Date; what: string } | undefined;
}

const START = /^%% live turn (\d+): [^\n]*%%\r?$/gm;
const END = /^%% end of live turn (\d+) · ([0-9a-f]{12}) %%\r?$/m;

/** The section for `view` as it stands at `now`. `redact` is applied before the hash is taken, as it is written. */
export function renderLiveBlock(view: LiveTurnView, now: Date, redact: (text: string) => string = (t) => t): string {
  const activity = view.lastActivity ? `${clockTime(view.lastActivity.at)}, ${plain(view.lastActivity.what)}` : 'none yet';
  const inner = redact(
    [
      `%% live turn ${view.number}: Scriptorium shows this turn here while it runs; its record replaces it %%`,
      `## Turn ${view.number} · running · from ${plain(view.from)}`,
      '',
      `**Message** (${wikilink(view.messagePath)})`,
      '',
      `- Started: ${clockTime(view.startedAt)}`,
      `- Running for: ${runningFor(now.getTime() - view.startedAt.getTime())}`,
      `- ${view.tools.length ? summarizeTools(view.tools.map(plain)).replace(/^Tools:/, 'Tools so far:') : 'Tools so far: none'}`,
      `- Last activity: ${activity}`,
      // Claude Code reports the cost only in its result line; the usage on the lines before it is a snapshot
      // taken before each answer is complete, so no honest figure exists until the turn ends.
      '- Cost: known when the turn ends',
      '',
    ].join('\n'),
  );
  return `\n${inner}%% end of live turn ${view.number} · ${hashOf(inner)} %%\n`;
}

/** `raw` with `section` (a live section, a turn's record) added at its end, after a line break. */
export function appendSection(raw: string, section: string): string {
  return (raw.endsWith('\n') ? raw : raw + '\n') + section;
}

/**
 * `raw` with the section written last (`shown`, exactly) replaced by `next`; null when it is not there as
 * written (the user edited it, or removed it): then it is theirs, and nothing is written.
 */
export function replaceLiveBlock(raw: string, shown: string, next: string): string | null {
  const at = raw.indexOf(shown);
  if (at === -1 || raw.indexOf(shown, at + 1) !== -1) return null;
  return raw.slice(0, at) + next + raw.slice(at + shown.length);
}

/** Where an untouched live section of turn `number` lies in `raw` (any turn's when `number` is undefined). */
interface Span {
  number: number;
  start: number;
  end: number;
}

function untouchedBlocks(raw: string): Span[] {
  if (!raw.includes('%% live turn ')) return [];
  const spans: Span[] = [];
  for (const start of raw.matchAll(START)) {
    const from = start.index;
    const rest = raw.slice(from);
    const end = END.exec(rest);
    if (!end || end[1] !== start[1]) continue;
    const inner = rest.slice(0, end.index);
    // A later start marker before this end: the first one lost its end; it is not ours to touch.
    if (inner.indexOf('\n%% live turn ', 1) !== -1) continue;
    if (hashOf(inner) !== end[2]) continue;
    let stop = from + end.index + end[0].length;
    if (raw[stop] === '\n') stop++;
    // The blank line Scriptorium put before it goes with it, so its removal gives back the note as it was.
    const begin = from >= 2 && raw[from - 1] === '\n' && raw[from - 2] === '\n' ? from - 1 : from;
    spans.push({ number: Number(start[1]), start: begin, end: stop });
  }
  return spans;
}

/** Whether `raw` holds a live section no one has touched (of turn `number`, or of any turn). */
export function hasLiveBlock(raw: string, number?: number): boolean {
  return untouchedBlocks(raw).some((span) => number === undefined || span.number === number);
}

/** `raw` without its untouched live sections (of turn `number` only, when given); the rest byte for byte. */
export function withoutLiveBlocks(raw: string, number?: number): string {
  let out = raw;
  for (const span of untouchedBlocks(raw).reverse()) {
    if (number === undefined || span.number === number) out = out.slice(0, span.start) + out.slice(span.end);
  }
  return out;
}

/**
 * `raw` with a finished turn's record (`turnText`, from renderTurn) in the place of its live section, or
 * appended when there is none (a fast turn never had one) or the user has edited it.
 */
export function withTurnRecord(raw: string, number: number, turnText: string): string {
  return placeTurnRecord(raw, number, turnText).text;
}

/** `withTurnRecord`, and where in the new text the record begins. */
export function placeTurnRecord(raw: string, number: number, turnText: string): { text: string; at: number } {
  const span = untouchedBlocks(raw).find((s) => s.number === number);
  if (!span) {
    const text = appendSection(raw, turnText);
    return { text, at: text.length - turnText.length };
  }
  return { text: raw.slice(0, span.start) + turnText + raw.slice(span.end), at: span.start };
}

/** `under a minute`, `3 min`, `1 h 05 min`: coarse on purpose, so a quiet turn's section rarely changes. */
export function runningFor(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function clockTime(date: Date): string {
  return isoLocal(date).slice(11, 19);
}

/** One line of text: `%%` would open a comment that hides the rest of the note. */
function plain(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/%%/g, '%').trim().slice(0, 200);
}

function hashOf(inner: string): string {
  return createHash('sha256').update(inner.replace(/\r\n/g, '\n')).digest('hex').slice(0, 12);
}
