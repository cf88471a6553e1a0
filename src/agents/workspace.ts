import { statSync } from 'node:fs';
import type { FieldProblem } from './definition.ts';
import type { OperatorPolicy } from './policy.ts';
import { isInside, realPathOf } from '../vault/real-path.ts';

/**
 * A workspace is judged by its real path: `workspace: ws-link`, a link in the vault to a folder outside
 * it, is outside the vault. A link that really leads inside the vault (or an allowed workspace) is fine.
 * The daemon (definitions and each turn) and `explain` decide with this.
 */
export function workspaceProblem(workspace: string, policy: OperatorPolicy, vaultRoot: string): FieldProblem | null {
  let real: string;
  try {
    real = realPathOf(workspace);
  } catch (error) {
    // A loop of links, or a folder that may not be read: where it leads is unknown, so it is not allowed.
    return { field: 'workspace', message: `${workspace} cannot be resolved to a real folder (${(error as Error).message})` };
  }
  if (policy.allowWorkspaceOutsideVault || isInside(real, realPathOf(vaultRoot))) return null;
  if ((policy.allowedWorkspaces ?? []).some((dir) => isInside(real, realPathOf(dir)))) return null;
  const shown = real === workspace ? workspace : `${workspace} (really ${real}, through a symbolic link)`;
  return {
    field: 'workspace',
    message: `${shown} is outside the vault: that needs the folder in allowed_workspaces (or allow_workspace_outside_vault) in the Scriptorium config on this machine`,
  };
}

/**
 * The folder a turn runs in: the workspace's real path, checked again when the turn starts (a folder can
 * be swapped for a link after its definition was read). An error when it is refused or not a folder.
 */
export function turnWorkspace(workspace: string, definitionPath: string, policy: OperatorPolicy, vaultRoot: string): { cwd: string } | { error: string } {
  const refused = workspaceProblem(workspace, policy, vaultRoot);
  if (refused) return { error: `${definitionPath}: workspace: ${refused.message}` };
  let cwd = workspace;
  let folder = false;
  try {
    cwd = realPathOf(workspace);
    folder = statSync(cwd).isDirectory();
  } catch {
    // Missing: said below.
  }
  if (!folder) return { error: `${definitionPath}: workspace: ${workspace} is not a folder (it does not exist, or is a file); create the folder or change workspace in the definition` };
  return { cwd };
}
