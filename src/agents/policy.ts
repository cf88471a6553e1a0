import type { AgentDefinition, FieldProblem, PermissionMode } from './definition.ts';
import type { McpServerConfig } from '../config/mcp-servers.ts';
import type { SecretConfig } from '../config/secrets.ts';
import { mcpProblems } from './mcp-policy.ts';
import { redactUrl } from '../notify/webhook.ts';
import { workspaceProblem } from './workspace.ts';

/**
 * What the operator of this machine lets definitions ask for. It lives outside the vault (flags or the
 * config file), because anyone who can write a note can write a definition: a note alone must never
 * widen an agent's powers.
 */
export interface OperatorPolicy {
  /** `permission_mode: bypassPermissions` */
  allowBypassPermissions: boolean;
  /** `Bash` (or any shell tool) in `tools` */
  allowShell: boolean;
  /** A `workspace` outside the vault, anywhere. */
  allowWorkspaceOutsideVault: boolean;
  /** `permission_mode` values definitions may ask for; unset: every mode but bypassPermissions (see above). */
  allowedPermissionModes?: PermissionMode[] | undefined;
  /**
   * `tools` definitions may ask for (`mcp__*` ends in a wildcard); unset: any tool but a shell. It only
   * narrows: a shell tool still needs `allowShell`.
   */
  allowedTools?: string[] | undefined;
  /** Absolute folders outside the vault a `workspace` may be in (or under). */
  allowedWorkspaces?: string[] | undefined;
  /** URL prefixes a definition's `notify:` may post to; none by default (a note must not send data out). */
  allowedNotifyUrls?: string[] | undefined;
  /**
   * Claude Code's setting sources a turn loads; unset: `user` only. `project` and `local` are the
   * `.claude/settings*.json`, `.mcp.json` and `CLAUDE.md` of the turn's working folder (the vault or a
   * workspace): files anyone who can put a file there controls, hooks included.
   */
  settingSources?: SettingSource[] | undefined;
  /** MCP servers a definition may choose (`mcp:`); none by default: a note must not start programs. */
  mcpServers?: Record<string, McpServerConfig> | undefined;
  /** Secrets a definition may choose (`env:`), by name; none by default. */
  secrets?: Record<string, SecretConfig> | undefined;
}

export const SETTING_SOURCES = ['user', 'project', 'local'] as const;
export type SettingSource = (typeof SETTING_SOURCES)[number];

/** The setting sources turns load when the operator chose none: the user's own settings. */
export const DEFAULT_SETTING_SOURCES: SettingSource[] = ['user'];

export const SAFE_POLICY: OperatorPolicy = {
  allowBypassPermissions: false,
  allowShell: false,
  allowWorkspaceOutsideVault: false,
};

const SHELL_TOOL_NAMES = /^(bash|powershell|shell)\b/i;

/** Claude Code's shell tools, denied outright unless the operator allows a shell. */
export const SHELL_TOOLS = ['Bash', 'BashOutput', 'KillShell', 'KillBash', 'PowerShell'];

/** The reasons a definition asks for more than the operator allows; empty when it is within policy. */
export function checkPolicy(definition: AgentDefinition, policy: OperatorPolicy, vaultRoot: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (definition.permissionMode === 'bypassPermissions' && !policy.allowBypassPermissions) {
    problems.push({
      field: 'permission_mode',
      message: 'bypassPermissions is refused: the operator has not allowed it on this machine (allow_bypass_permissions in the Scriptorium config)',
    });
  }
  if (policy.allowedPermissionModes && !policy.allowedPermissionModes.includes(definition.permissionMode)) {
    problems.push({
      field: 'permission_mode',
      message: `${definition.permissionMode} is not among the modes the operator allows on this machine (allowed_permission_modes: ${policy.allowedPermissionModes.join(', ') || 'none'})`,
    });
  }
  if (policy.allowedTools) {
    const refused = definition.tools.filter((tool) => !toolAllowed(tool, policy.allowedTools!));
    if (refused.length > 0) {
      problems.push({
        field: 'tools',
        message: `${refused.join(', ')} is not among the tools the operator allows on this machine (allowed_tools: ${policy.allowedTools.join(', ') || 'none'})`,
      });
    }
  }
  const shell = definition.tools.filter((tool) => SHELL_TOOL_NAMES.test(tool));
  if (shell.length > 0 && !policy.allowShell) {
    problems.push({
      field: 'tools',
      message: `${shell.join(', ')} is refused: shell access needs allow_shell in the Scriptorium config on this machine`,
    });
  }
  const workspace = workspaceProblem(definition.workspace, policy, vaultRoot);
  if (workspace) problems.push(workspace);
  problems.push(...mcpProblems(definition, policy));
  if (definition.notify !== undefined && !notifyAllowed(definition.notify, policy)) {
    problems.push({
      field: 'notify',
      message: `${urlForDisplay(definition.notify)} is not allowed: the operator lists the addresses notes may post to in allowed_notify_urls in the Scriptorium config on this machine`,
    });
  }
  return problems;
}

/** `Bash(git *)` is the tool `Bash`; an entry ending in `*` allows every tool it starts (`mcp__github__*`). */
export function toolAllowed(tool: string, allowed: string[]): boolean {
  const name = tool.replace(/\(.*$/s, '').trim();
  return allowed.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : entry === name || entry === tool));
}

/** A URL may be posted to when it starts with one of the operator's prefixes, compared as parsed URLs. */
export function notifyAllowed(url: string, policy: OperatorPolicy): boolean {
  return (policy.allowedNotifyUrls ?? []).some((prefix) => {
    try {
      const u = new URL(url);
      const p = new URL(prefix);
      return u.origin === p.origin && u.pathname.startsWith(p.pathname);
    } catch {
      return false;
    }
  });
}

/** Origin and first path segment only: a token in the query, the userinfo or deeper in the path is not repeated in a note. */
export function urlForDisplay(url: string): string {
  return URL.canParse(url) ? redactUrl(url) : JSON.stringify(url.slice(0, 80));
}
