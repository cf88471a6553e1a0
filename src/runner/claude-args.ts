import type { TurnRequest } from './types.ts';

/** Inherited variables a parent Claude Code session leaves behind; passing them on confuses the child. */
const KEEP_CLAUDE_CODE_VARS = new Set([
  // Provider and credential choices an operator makes for the daemon on purpose.
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDE_CODE_MAX_RETRIES',
  'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
]);

/** The child's environment: ours, minus CLAUDECODE and the CLAUDE_CODE_* a parent session sets. */
export function scrubEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key === 'CLAUDECODE') continue;
    if (key.startsWith('CLAUDE_CODE_') && !KEEP_CLAUDE_CODE_VARS.has(key)) continue;
    out[key] = value;
  }
  return out;
}

/** Tools that edit files: auto-approved by the permission mode inside the working directories only. */
export const EDIT_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);

/**
 * Tools that read files: allowed without asking inside the working directories only. An allow rule for
 * one of them (`--allowedTools=Read`) would let it read any file on the machine (the secrets file, an SSH
 * key); left out, a read elsewhere is a call that needs permission, which the operator's ceiling refuses.
 */
export const READ_TOOLS = new Set(['Read', 'Glob', 'Grep', 'LS', 'NotebookRead']);

/** Tools the definition lists that can be pre-approved without widening where files may be read or written. */
export function preApproved(tools: string[]): string[] {
  return tools.filter((tool) => {
    const name = tool.replace(/\(.*$/s, '').trim();
    return !EDIT_TOOLS.has(name) && !READ_TOOLS.has(name);
  });
}

/**
 * argv for one headless turn (no shell: each value is one argument). Every value that comes from a note
 * is attached to its flag (`--model=<v>`): Claude Code's variadic options (`--allowedTools a b …`) take
 * every following argument up to the next that starts with "-", so a value standing alone that starts
 * with "-" would be read as an option of its own. The definition's grammar refuses such values too
 * (agents/arg-grammar.ts); this holds even if a value slipped past it. The prompt goes after `--`; a
 * prompt too long for one argument goes on stdin.
 */
export function claudeArgs(request: TurnRequest, promptOnStdin = false): string[] {
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  // `--resume` takes an optional value: standing alone, a value starting with "-" would be skipped.
  args.push(request.resume ? `--resume=${request.sessionId}` : `--session-id=${request.sessionId}`);
  // Without this, the system prompt is frozen at the session's first turn and later edits of the agent
  // note are silently ignored on resume.
  args.push('--system-prompt-snapshot', 'off');
  // Only the setting sources the operator chose: by default the user's own, never the vault's
  // `.claude/settings*.json`, `.mcp.json` or `CLAUDE.md` (a file synced into the vault must not add hooks).
  args.push(`--setting-sources=${request.settingSources.join(',')}`);
  if (request.settings) args.push(`--settings=${request.settings}`);
  if (request.systemPrompt) args.push(`--append-system-prompt=${request.systemPrompt}`);
  if (request.model) args.push(`--model=${request.model}`);
  args.push(`--permission-mode=${request.permissionMode}`);
  args.push(`--tools=${request.tools.join(',')}`);
  // Repeated, one value each: commander gathers a variadic option's values across repeats.
  for (const tool of request.allowedTools) args.push(`--allowedTools=${tool}`);
  for (const tool of request.disallowedTools) args.push(`--disallowedTools=${tool}`);
  for (const dir of request.addDirs) args.push(`--add-dir=${dir}`);
  // Only the servers in this turn's config (Scriptorium's own, and the operator's the agent chose): servers
  // from the user's Claude settings or a `.mcp.json` stay out of unattended turns, whatever else is loaded.
  if (request.mcpConfig) args.push(`--mcp-config=${request.mcpConfig}`);
  args.push('--strict-mcp-config');
  if (request.permissionPromptTool) args.push(`--permission-prompt-tool=${request.permissionPromptTool}`);
  args.push('--max-turns', String(request.maxTurns));
  args.push('--max-budget-usd', String(request.maxBudgetUsd));
  if (!promptOnStdin) args.push('--', request.prompt);
  // An argument cannot carry a NUL byte (spawn refuses the whole call); a note can.
  return args.map((arg) => arg.replace(/\0/g, ''));
}
