/**
 * The grammar of the definition values that become `claude` arguments (`tools`, `disallowed_tools`,
 * `model`). Anyone who can write a note can write a definition, so a value must never be able to read
 * as an option of its own (`"--settings"` once slipped into `--allowedTools`' list and loaded a hook):
 * each value is checked here, strictly, and the runner passes it attached to its flag (`--model=<v>`)
 * besides. Two locks, because either one alone is one mistake away from a shell.
 */

/** A built-in tool (`Read`, `WebSearch`), `default` (Claude Code's own set) or a name from an MCP server. */
const TOOL_NAME = /^(?:[A-Za-z][A-Za-z0-9_]*|mcp__[A-Za-z0-9_-]+(?:__[A-Za-z0-9_*-]*)?)$/;
/** A permission rule: a built-in tool and what it applies to, `Bash(git log:*)`, `Edit(/notes/**)`. */
const TOOL_RULE = /^[A-Za-z][A-Za-z0-9_]*\((?:[^\x00-\x1f\x7f]*)\)$/;
/** Claude Code's model aliases and ids, with the forms Bedrock and Vertex use (`:`, `@`, `/`, `[1m]`). */
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]*$/;

const MAX_TOOL = 500;
const MAX_MODEL = 200;

/**
 * Why a `tools` or `disallowed_tools` entry is refused (to follow the quoted value); null when it is a tool name or a permission rule.
 * `tools` is passed as one comma-joined argument, so a comma inside one of its rules would split it.
 */
export function toolProblem(value: string, joinedWithCommas: boolean): string | null {
  if (value.length > MAX_TOOL) return `is longer than ${MAX_TOOL} characters`;
  if (!TOOL_NAME.test(value) && !TOOL_RULE.test(value)) {
    return 'is not a tool name or a permission rule (expected a name such as Read or mcp__github__search, or a rule such as Bash(git log:*))';
  }
  if (joinedWithCommas && value.includes(',')) return 'has a comma, which would split it in two here (list it as two entries)';
  return null;
}

/** Why a `model` is refused (to follow the quoted value); null for an alias or id Claude Code could be given. */
export function modelProblem(value: string): string | null {
  if (value.length > MAX_MODEL) return `is longer than ${MAX_MODEL} characters`;
  if (!MODEL.test(value)) return 'is not a model name (expected an alias such as sonnet or an id such as claude-sonnet-4-5)';
  return null;
}
