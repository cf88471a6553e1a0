import path from 'node:path';
import type { AgentDefinition, FieldProblem } from './definition.ts';

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
  /** A `workspace` outside the vault. */
  allowWorkspaceOutsideVault: boolean;
}

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
  const shell = definition.tools.filter((tool) => SHELL_TOOL_NAMES.test(tool));
  if (shell.length > 0 && !policy.allowShell) {
    problems.push({
      field: 'tools',
      message: `${shell.join(', ')} is refused: shell access needs allow_shell in the Scriptorium config on this machine`,
    });
  }
  const rel = path.relative(vaultRoot, definition.workspace);
  if ((rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) && !policy.allowWorkspaceOutsideVault) {
    problems.push({
      field: 'workspace',
      message: `${definition.workspace} is outside the vault: that needs allow_workspace_outside_vault in the Scriptorium config on this machine`,
    });
  }
  return problems;
}
