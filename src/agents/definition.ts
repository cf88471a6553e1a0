import path from 'node:path';
import { cronProblem } from '../schedule/cron.ts';
import { expandHome } from '../util/home.ts';
import { modelProblem, toolProblem } from './arg-grammar.ts';
import { checkWebhookUrl } from '../notify/webhook.ts';
import { isSlug, slugify } from '../vault/paths.ts';
import { MCP_NAME } from '../config/mcp-servers.ts';
import { ENV_NAME } from '../config/secrets.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';

export type AgentMode = 'single-threaded' | 'multi-threaded';

export const PERMISSION_MODES = ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'manual', 'plan'] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/** The defaults a definition gets for what it leaves out (documented in docs/reference.md). */
export const DEFAULTS = {
  mode: 'single-threaded' as AgentMode,
  /** Read the vault and write notes; no shell, no network tools unless the definition names them. */
  tools: ['Read', 'Write', 'Edit', 'Glob', 'Grep'],
  /** Edits inside the working directories are accepted; anything else that would prompt is refused. */
  permissionMode: 'acceptEdits' as PermissionMode,
  maxTurns: 40,
  maxBudgetUsd: 1,
  timeoutMs: 15 * 60_000,
  task: 'Run your scheduled task.',
};

export interface ScheduleEntry {
  cron: string;
  task: string | undefined;
}

export interface AgentDefinition {
  name: string;
  /** Vault path of the definition note. */
  path: string;
  description: string | undefined;
  model: string | undefined;
  mode: AgentMode;
  tools: string[];
  disallowedTools: string[];
  permissionMode: PermissionMode;
  /** Absolute working directory; the vault root unless the definition names another. */
  workspace: string;
  maxTurns: number;
  maxBudgetUsd: number;
  timeoutMs: number;
  dailyBudgetUsd: number | undefined;
  /** Turns per rolling hour; past it, messages wait. */
  maxRunsPerHour: number | undefined;
  schedules: ScheduleEntry[];
  tz: string | undefined;
  task: string | undefined;
  catchUp: boolean;
  enabled: boolean;
  /** Agents this one may address; `undefined` means all. */
  canMessage: string[] | undefined;
  /** Each reply is POSTed here as JSON (if the operator's policy allows the address). */
  notify: string | undefined;
  /** MCP servers from the operator config this agent's turns get (`mcp:`). */
  mcp: string[];
  /** Secrets from the operator config put in this agent's turns' environment, by name (`env:`). */
  env: string[];
  /** The note body: appended to Claude Code's own system prompt. */
  prompt: string;
}

export interface FieldProblem {
  field: string;
  message: string;
}

export type DefinitionResult =
  | { ok: true; definition: AgentDefinition }
  | { ok: false; name: string; problems: FieldProblem[] };

/**
 * Read an agent definition note's fields. Every problem is collected (not just the first), each naming the
 * field, what was expected and what was found, so one look at the note's `error:` tells the whole story.
 */
export function parseDefinition(vaultPath: string, data: FrontmatterData, body: string, vaultRoot: string): DefinitionResult {
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });

  const fileName = slugify(path.posix.basename(vaultPath, '.md'));
  let name = fileName;
  if (data.name !== undefined && data.name !== null) {
    if (typeof data.name !== 'string' || !isSlug(data.name)) {
      problem('name', `expected a slug (lower-case letters, digits, "-" or "_"), found ${show(data.name)}`);
    } else {
      name = data.name;
    }
  }
  if (/^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/.test(name)) {
    problem('name', `"${name}" is a reserved device name on Windows (its thread note could not exist there); set another name:`);
  }

  const str = (field: string): string | undefined => {
    const v = data[field];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number') return String(v);
    problem(field, `expected text, found ${show(v)}`);
    return undefined;
  };

  const positive = (field: string, integer: boolean): number | undefined => {
    const v = data[field];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      problem(field, `expected a ${integer ? 'whole number' : 'number'} above 0, found ${show(v)}`);
      return undefined;
    }
    return n;
  };

  const bool = (field: string, fallback: boolean): boolean => {
    const v = data[field];
    if (v === undefined || v === null || v === '') return fallback;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|yes|on)$/i.test(v)) return true;
    if (typeof v === 'string' && /^(false|no|off)$/i.test(v)) return false;
    problem(field, `expected true or false, found ${show(v)}`);
    return fallback;
  };

  const list = (field: string): string[] | undefined => {
    const v = data[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
    if (Array.isArray(v) && v.every((item) => typeof item === 'string')) return v.map((s) => s.trim()).filter(Boolean);
    problem(field, `expected a list of names, found ${show(v)}`);
    return undefined;
  };

  let mode = DEFAULTS.mode;
  const modeText = str('mode');
  if (modeText !== undefined) {
    if (modeText === 'single-threaded' || modeText === 'multi-threaded') mode = modeText;
    else problem('mode', `expected single-threaded or multi-threaded, found ${show(modeText)}`);
  }

  let permissionMode = DEFAULTS.permissionMode;
  const permissionText = str('permission_mode');
  if (permissionText !== undefined) {
    if ((PERMISSION_MODES as readonly string[]).includes(permissionText)) permissionMode = permissionText as PermissionMode;
    else problem('permission_mode', `expected one of ${PERMISSION_MODES.join(', ')}, found ${show(permissionText)}`);
  }

  let workspace = vaultRoot;
  const workspaceText = str('workspace');
  if (workspaceText !== undefined) {
    workspace = path.resolve(vaultRoot, expandHome(workspaceText));
  }

  const notify = str('notify');
  const notifyProblem = notify === undefined ? null : checkWebhookUrl(notify);
  if (notifyProblem) problem('notify', notifyProblem);

  let timeoutMs = DEFAULTS.timeoutMs;
  if (data.timeout !== undefined && data.timeout !== null && data.timeout !== '') {
    const parsed = parseDuration(data.timeout);
    if (parsed === null) problem('timeout', `expected a duration such as 90s, 10m or 1h, found ${show(data.timeout)}`);
    else timeoutMs = parsed;
  }

  const tz = str('tz');
  if (tz !== undefined && !isTimeZone(tz)) problem('tz', `expected an IANA time zone such as Europe/Paris, found ${show(tz)}`);

  const schedules: ScheduleEntry[] = [];
  const schedule = data.schedule;
  if (schedule !== undefined && schedule !== null && schedule !== '') {
    const items = Array.isArray(schedule) ? schedule : [schedule];
    for (const item of items) {
      if (typeof item === 'string' && item.trim()) schedules.push({ cron: item.trim(), task: undefined });
      else if (item && typeof item === 'object' && typeof (item as { cron?: unknown }).cron === 'string') {
        const entry = item as { cron: string; task?: unknown };
        schedules.push({ cron: entry.cron.trim(), task: typeof entry.task === 'string' ? entry.task : undefined });
      } else problem('schedule', `expected a cron expression or a list of them, found ${show(item)}`);
    }
  }

  // The instructions go to Claude Code as one argument, which Linux caps at 128 KiB.
  if (Buffer.byteLength(body) > 100_000) {
    problem('body', `the instructions are ${Math.round(Buffer.byteLength(body) / 1024)} KB; at most 100 KB fit (move reference material into notes the agent can read)`);
  }
  for (const entry of schedules) {
    const cronError = cronProblem(entry.cron, tz !== undefined && isTimeZone(tz) ? tz : undefined);
    if (cronError) problem('schedule', `${show(entry.cron)} is not a valid cron expression (${cronError.slice(0, 120)})`);
  }

  // Values that become `claude` arguments: a strict grammar, so none can read as an option (arg-grammar.ts).
  const tools = list('tools');
  const disallowedTools = list('disallowed_tools');
  for (const [field, entries] of [['tools', tools], ['disallowed_tools', disallowedTools]] as const) {
    for (const entry of entries ?? []) {
      const wrong = toolProblem(entry, field === 'tools');
      if (wrong) problem(field, `${show(entry)} ${wrong}`);
    }
  }
  const mcp = list('mcp') ?? [];
  for (const name of mcp) if (!MCP_NAME.test(name)) problem('mcp', `${show(name)} is not an MCP server name (letters, digits, "-" and "_", as in the operator config's mcp_servers)`);
  const env = list('env') ?? [];
  for (const name of env) if (!ENV_NAME.test(name)) problem('env', `${show(name)} is not an environment variable name (letters, digits and "_"); list the names of secrets the operator config holds, never their values`);
  const model = str('model');
  const modelWrong = model === undefined ? null : modelProblem(model);
  if (modelWrong) problem('model', `${show(model)} ${modelWrong}`);

  const definition: AgentDefinition = {
    name,
    path: vaultPath,
    description: str('description'),
    model,
    mode,
    tools: tools ?? [...DEFAULTS.tools],
    disallowedTools: disallowedTools ?? [],
    permissionMode,
    workspace,
    maxTurns: positive('max_turns', true) ?? DEFAULTS.maxTurns,
    maxBudgetUsd: positive('max_budget_usd', false) ?? DEFAULTS.maxBudgetUsd,
    timeoutMs,
    dailyBudgetUsd: positive('daily_budget_usd', false),
    maxRunsPerHour: positive('max_runs_per_hour', true),
    schedules,
    tz,
    task: str('task'),
    catchUp: bool('catch_up', true),
    enabled: bool('enabled', true),
    canMessage: list('can_message'),
    notify,
    mcp: [...new Set(mcp)],
    env: [...new Set(env)],
    prompt: body.trim(),
  };
  return problems.length > 0 ? { ok: false, name, problems } : { ok: true, definition };
}

/** `90` (seconds), `"90s"`, `"10m"`, `"1h"`, `"1h30m"` → milliseconds; null when unreadable or not above 0. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * 1000 : null;
  if (typeof value !== 'string') return null;
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h)/g;
  let total = 0;
  let consumed = '';
  for (const match of text.matchAll(re)) {
    const n = Number(match[1]);
    const unit = match[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
    consumed += match[0];
  }
  if (consumed.replace(/\s+/g, '') !== text.replace(/\s+/g, '') || total <= 0) return null;
  return total;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function show(value: unknown): string {
  // Errors quote what they found, never all of it: a 20 KB value must not become a 20 KB error.
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === 'object') return `a nested object (${JSON.stringify(value).slice(0, 60)})`;
  return `${typeof value} ${String(value)}`;
}
