import { ROLE_TAGS } from '../vault/tags.ts';
import { stringifyNote, type FrontmatterData } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';
import { safeFileName } from '../vault/paths.ts';
import { fileStamp, isoLocal } from '../util/clock.ts';
import type { AgentMode } from '../agents/definition.ts';
import type { ThreadStatus } from '../messages/status.ts';
import type { TurnUsage } from '../runner/types.ts';

export const THREADS_DIR = 'Threads';

/** `Threads/<agent>.md` for a single-threaded agent; a new note per conversation for a multi-threaded one. */
export function singleThreadPath(agent: string): string {
  return `${THREADS_DIR}/${agent}.md`;
}

export function newThreadBaseName(agent: string, title: string, at: Date): { dir: string; base: string } {
  return { dir: `${THREADS_DIR}/${agent}`, base: `${fileStamp(at)} ${safeFileName(title, 50)}` };
}

/** The numbers a thread note carries, read back from its frontmatter (missing or odd values count as 0). */
export interface ThreadState {
  session: string | undefined;
  turnCount: number;
  costUsd: number;
  usage: TurnUsage;
  startedAt: string | undefined;
}

export function readThreadState(data: FrontmatterData): ThreadState {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);
  return {
    session: typeof data.session === 'string' && data.session.trim() ? data.session.trim() : undefined,
    turnCount: num(data.turn_count),
    costUsd: num(data.cost_usd),
    usage: {
      inputTokens: num(data.input_tokens),
      outputTokens: num(data.output_tokens),
      cacheReadTokens: num(data.cache_read_tokens),
      cacheCreationTokens: num(data.cache_creation_tokens),
    },
    startedAt: typeof data.started_at === 'string' ? data.started_at : undefined,
  };
}

export function newThreadNote(agent: string, mode: AgentMode, at: Date): string {
  return stringifyNote(
    {
      tags: [ROLE_TAGS.thread],
      agent,
      mode,
      status: 'working' satisfies ThreadStatus,
      session: '',
      turn_count: 0,
      started_at: isoLocal(at),
      last_turn_at: isoLocal(at),
      cost_usd: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_creation_tokens: 0,
    },
    `# ${agent}\n\nConversation of the agent [[${agent}]] (${mode}): one Claude session. Its latest turn is below; earlier turns move to its archive notes, shown above it.\n`,
  );
}

/** Frontmatter fields after a turn: totals accumulate, the session is what the CLI reported. */
export function threadFieldsAfterTurn(
  state: ThreadState,
  turn: { ok: boolean; session: string | undefined; costUsd: number; usage: TurnUsage; at: Date },
): FrontmatterData {
  return {
    status: (turn.ok ? 'ok' : 'error') satisfies ThreadStatus,
    session: turn.session ?? state.session ?? '',
    turn_count: state.turnCount + 1,
    last_turn_at: isoLocal(turn.at),
    cost_usd: round(state.costUsd + turn.costUsd, 6),
    input_tokens: state.usage.inputTokens + turn.usage.inputTokens,
    output_tokens: state.usage.outputTokens + turn.usage.outputTokens,
    cache_read_tokens: state.usage.cacheReadTokens + turn.usage.cacheReadTokens,
    cache_creation_tokens: state.usage.cacheCreationTokens + turn.usage.cacheCreationTokens,
  };
}

export interface TurnRecord {
  number: number;
  at: Date;
  from: string;
  messagePath: string;
  messageText: string;
  replyPath: string;
  replyText: string;
  ok: boolean;
  tools: string[];
  costUsd: number;
  durationMs: number;
  notices: string[];
}

/** One turn as readable markdown, appended to the thread body. */
export function renderTurn(turn: TurnRecord): string {
  const quoted = turn.messageText
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
  const lines = [
    '',
    `## Turn ${turn.number} · ${isoLocal(turn.at).slice(0, 16).replace('T', ' ')} · from ${turn.from}`,
    '',
    `**Message** (${wikilink(turn.messagePath)}):`,
    quoted,
    '',
    ...turn.notices.map((n) => `> [!note] ${n}`),
    ...(turn.notices.length ? [''] : []),
    turn.ok ? `**Reply** (${wikilink(turn.replyPath)}):` : `**Failed** (${wikilink(turn.replyPath)}):`,
    '',
    turn.replyText.trim(),
    '',
    `*${summarizeTools(turn.tools)} · $${turn.costUsd.toFixed(4)} · ${(turn.durationMs / 1000).toFixed(1)} s*`,
    '',
  ];
  return lines.join('\n');
}

/** `Tools: Read ×2, Write` or `No tools`. */
export function summarizeTools(tools: string[]): string {
  if (tools.length === 0) return 'No tools';
  const counts = new Map<string, number>();
  for (const tool of tools) counts.set(tool, (counts.get(tool) ?? 0) + 1);
  return 'Tools: ' + [...counts].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
