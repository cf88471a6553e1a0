import type { PermissionMode } from '../agents/definition.ts';
import type { SettingSource } from '../agents/policy.ts';
import type { TurnTimeout } from './turn-timeout.ts';

/** Everything one `claude -p` turn needs; built by the daemon from the agent definition and the message. */
export interface TurnRequest {
  agent: string;
  /** The prompt as first read (what fake runners use). */
  prompt: string;
  /**
   * The prompt once the message is known whole (a note renamed into place is read again if its writer
   * appended to it in its grace). The real runner starts Claude Code at once and writes this to its
   * stdin when it resolves: the CLI loads for a few hundred ms before it reads its prompt.
   */
  promptLater?: Promise<string>;
  /** The agent note's body, appended to Claude Code's own system prompt. */
  systemPrompt: string;
  sessionId: string;
  /** `--resume <sessionId>` when true, `--session-id <sessionId>` (a new session) when false. */
  resume: boolean;
  cwd: string;
  model: string | undefined;
  tools: string[];
  allowedTools: string[];
  disallowedTools: string[];
  permissionMode: PermissionMode;
  maxTurns: number;
  maxBudgetUsd: number;
  timeoutMs: number;
  /** The limit as a timer the daemon can pause (an approval waiting for a person); made from `timeoutMs` when absent. */
  timeout?: TurnTimeout | undefined;
  /** `--permission-prompt-tool`: a call that needs permission is put to the daemon (approvals) instead of being denied. */
  permissionPromptTool?: string | undefined;
  addDirs: string[];
  /** `--setting-sources`: which of Claude Code's settings (user, project, local) the turn loads; the operator's choice. */
  settingSources: SettingSource[];
  /** `--settings` JSON: Scriptorium's own hook that records which files the turn writes (turns/turn-writes.ts). */
  settings?: string | undefined;
  /** `--mcp-config` JSON (always with `--strict-mcp-config`): Scriptorium's own tools and the operator's servers the agent chose. */
  mcpConfig?: string | undefined;
  /**
   * Set in (a value) or taken out of (undefined) the turn's environment: the secrets the agent chose, and
   * the other configured secrets withheld. Holds secret values: never log a TurnRequest whole.
   */
  env?: Record<string, string | undefined>;
  /** Aborting stops the turn (shutdown); the result then has `errorKind: 'aborted'`. */
  signal?: AbortSignal;
  onProgress?: (progress: TurnProgress) => void;
}

export type TurnProgress =
  | { type: 'started'; pid: number | undefined }
  | { type: 'init'; sessionId: string; model: string | undefined }
  | { type: 'tool'; name: string }
  /** A Write, Edit, MultiEdit or NotebookEdit call names the file it writes (the runner reports it absolute, as Claude Code expands it). */
  | { type: 'write'; file: string }
  | { type: 'retry'; attempt: number; maxRetries: number; error: string; status: number | null }
  | { type: 'result' };

export type TurnErrorKind =
  | 'not_installed'
  | 'not_logged_in'
  | 'auth'
  | 'api'
  | 'unknown_session'
  | 'session_in_use'
  | 'max_turns'
  | 'max_budget'
  | 'timeout'
  | 'aborted'
  /** Stopped because the user set the running message to `status: cancelled` (set by the daemon, not the runner). */
  | 'cancelled'
  | 'crashed'
  | 'no_result'
  | 'empty';

export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}

export interface TurnResult {
  ok: boolean;
  /** The reply on success; absent on failure. */
  text: string | undefined;
  errorKind: TurnErrorKind | undefined;
  /** On failure: one sentence a person can act on. */
  error: string | undefined;
  /** Worth another try later (overloaded, rate limited, network). */
  transient: boolean;
  /** The session the CLI reported (read from the stream, never assumed). */
  sessionId: string | undefined;
  costUsd: number;
  usage: TurnUsage;
  numTurns: number;
  durationMs: number;
  /** Tool names used in this turn, in order, repeats kept. */
  tools: string[];
  permissionDenials: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

/** The seam between the daemon and Claude Code: the real one spawns `claude -p`, tests pass fakes. */
export type Runner = (request: TurnRequest) => Promise<TurnResult>;

export const EMPTY_USAGE: TurnUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };
