import path from 'node:path';
import { EDIT_TOOLS } from './claude-args.ts';
import type { TurnErrorKind, TurnProgress, TurnUsage } from './types.ts';
import { EMPTY_USAGE } from './types.ts';

/** The `result` line of `--output-format stream-json`, the fields we use. */
export interface ResultEvent {
  type: 'result';
  subtype: string;
  is_error: boolean;
  result?: string;
  errors?: string[];
  session_id?: string;
  num_turns?: number;
  total_cost_usd?: number;
  duration_ms?: number;
  usage?: Record<string, unknown>;
  api_error_status?: number | null;
  terminal_reason?: string;
  permission_denials?: Array<{ tool_name?: string }>;
}

/**
 * Reads a turn's stdout one line at a time. Tolerant by design: a line that is not JSON is counted, not
 * fatal; `system/init` may be missing (an unknown `--resume` prints only a result) or not first (`--bare`).
 */
export class StreamAccumulator {
  sessionId: string | undefined;
  model: string | undefined;
  result: ResultEvent | undefined;
  readonly tools: string[] = [];
  garbageLines = 0;
  lines = 0;
  lastRetry: { error: string; status: number | null } | undefined;

  private readonly onProgress: (progress: TurnProgress) => void;

  constructor(onProgress: (progress: TurnProgress) => void = () => {}) {
    this.onProgress = onProgress;
  }

  push(line: string): void {
    const trimmed = line.trim();
    if (!trimmed) return;
    this.lines++;
    // The CLI's events are untyped JSON, read field by field below, each value checked where it is used.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let event: any;
    try {
      event = JSON.parse(trimmed);
    } catch {
      this.garbageLines++;
      return;
    }
    if (!event || typeof event !== 'object') {
      this.garbageLines++;
      return;
    }
    if (typeof event.session_id === 'string' && event.session_id) this.sessionId = event.session_id;
    switch (event.type) {
      case 'system':
        if (event.subtype === 'init') {
          this.model = typeof event.model === 'string' ? event.model : undefined;
          this.onProgress({ type: 'init', sessionId: this.sessionId ?? '', model: this.model });
        } else if (event.subtype === 'api_retry') {
          this.lastRetry = { error: String(event.error ?? 'unknown'), status: event.error_status ?? null };
          this.onProgress({
            type: 'retry',
            attempt: Number(event.attempt ?? 0),
            maxRetries: Number(event.max_retries ?? 0),
            error: this.lastRetry.error,
            status: this.lastRetry.status,
          });
        }
        break;
      case 'assistant': {
        // Sub-agent (Task) tool calls carry a parent id; count only the agent's own.
        const content = event.message?.content;
        // Every file a tool call names, a sub-agent's too: who wrote a note is told from it (turns/turn-writes.ts).
        if (Array.isArray(content)) {
          for (const block of content) {
            const file = block?.type === 'tool_use' && EDIT_TOOLS.has(String(block.name)) ? writtenFile(block.input) : undefined;
            if (file) this.onProgress({ type: 'write', file });
          }
        }
        if (Array.isArray(content) && !event.parent_tool_use_id) {
          for (const block of content) {
            if (block?.type === 'tool_use' && typeof block.name === 'string') {
              this.tools.push(block.name);
              this.onProgress({ type: 'tool', name: block.name });
            }
          }
        }
        break;
      }
      case 'result':
        this.result = event as ResultEvent;
        this.onProgress({ type: 'result' });
        break;
      default:
        break;
    }
  }
}

export function usageOf(result: ResultEvent | undefined): TurnUsage {
  const u = result?.usage;
  if (!u) return { ...EMPTY_USAGE };
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    inputTokens: n(u.input_tokens),
    outputTokens: n(u.output_tokens),
    cacheReadTokens: n(u.cache_read_input_tokens),
    cacheCreationTokens: n(u.cache_creation_input_tokens),
  };
}

export interface Classification {
  ok: boolean;
  errorKind: TurnErrorKind | undefined;
  error: string | undefined;
  transient: boolean;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504, 529]);

/**
 * What a finished result line means. Success is `subtype == "success" && !is_error`: a failed API call
 * also comes back as subtype "success", with is_error true.
 */
export function classifyResult(result: ResultEvent, stderr: string): Classification {
  const text = (result.result ?? '').trim();
  const errors = (result.errors ?? []).join('; ');
  if (result.subtype === 'success' && result.is_error === false) {
    if ((result.num_turns ?? 1) === 0 && text === '') {
      return fail('empty', 'Claude Code finished without answering (no turns were run). Set status back to ready to try again.');
    }
    return { ok: true, errorKind: undefined, error: undefined, transient: false };
  }
  const all = `${text} ${errors} ${stderr}`;
  if (/No conversation found/i.test(all)) {
    return fail('unknown_session', `Claude Code has no record of this thread's session (${errors || text || 'No conversation found'}).`);
  }
  if (/is already in use/i.test(all)) return fail('session_in_use', firstLine(errors || stderr || text));
  if (result.subtype === 'error_max_turns') {
    return fail('max_turns', `The agent stopped after reaching its turn limit (${errors || 'max_turns'}). Raise max_turns on the agent or split the request.`);
  }
  if (result.subtype === 'error_max_budget_usd') {
    const spent = typeof result.total_cost_usd === 'number' ? ` after spending $${result.total_cost_usd.toFixed(2)}` : '';
    return fail('max_budget', `The agent stopped at its per-message budget${spent} (${errors || 'max_budget_usd'}). Raise max_budget_usd on the agent if this message needs more.`);
  }
  if (/^Not logged in/i.test(text)) {
    return fail('not_logged_in', 'Claude Code is not logged in on this machine: run `claude` once in a terminal and log in (or give the daemon ANTHROPIC_API_KEY), then set this message back to ready.');
  }
  const status = typeof result.api_error_status === 'number' ? result.api_error_status : null;
  if (status === 401 || status === 403 || /Invalid API key|authentication/i.test(text)) {
    return fail('auth', `Claude Code could not authenticate (${firstLine(text || errors)}). Check the login or API key the daemon uses, then set this message back to ready.`);
  }
  if (result.terminal_reason === 'aborted_streaming') {
    return fail('aborted', 'The turn was interrupted before it finished.');
  }
  const transient =
    (status !== null && TRANSIENT_STATUS.has(status)) || /timed out|Connection refused|ECONNRESET|overloaded|rate limit/i.test(text);
  const message = firstLine(text || errors || `Claude Code reported an error (${result.subtype})`);
  return { ok: false, errorKind: 'api', error: message, transient };
}

function fail(errorKind: TurnErrorKind, error: string): Classification {
  return { ok: false, errorKind, error, transient: false };
}

export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim().slice(0, 500);
}

/**
 * The file Claude Code writes for a path a tool call names, as its own path expansion reads it: spaces
 * around it trimmed, `~` and `~/…` taken from `home` (the process's HOME), anything else resolved from
 * `cwd`. A path the model spells unlike the file (`~/vault/x.md`, ` /vault/x.md `) must still be known as
 * that file when the stream is the only signal of who wrote it (turns/turn-writes.ts).
 */
export function writtenPath(file: string, cwd: string, home: string): string {
  const name = file.trim();
  if (name === '~') return path.resolve(home);
  if (name.startsWith('~/')) return path.resolve(home, name.slice(2));
  return path.resolve(cwd, name);
}

/** The path a file-writing tool call names (Write, Edit, MultiEdit: file_path; NotebookEdit: notebook_path). */
function writtenFile(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { file_path: file, notebook_path: notebook } = input as { file_path?: unknown; notebook_path?: unknown };
  return typeof file === 'string' ? file : typeof notebook === 'string' ? notebook : undefined;
}
