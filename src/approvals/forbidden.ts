import os from 'node:os';
import path from 'node:path';
import { writtenPath } from '../runner/stream-parser.ts';
import { EDIT_TOOLS } from '../runner/claude-args.ts';
import { SHELL_TOOLS, toolAllowed } from '../agents/policy.ts';
import { isInside, realPathOf } from '../vault/real-path.ts';
import { APPROVALS_DIR } from './approval-note.ts';

/** What the operator's policy says about one turn's tool calls: the ceiling no approval lifts. */
export interface CallCeiling {
  allowShell: boolean;
  /** The operator's `allowed_tools`, if set. */
  allowedTools: string[] | undefined;
  /** The turn's working folders (its workspace, the vault), as real paths: files outside them are refused. */
  folders: string[];
  cwd: string;
  /** The turn's home folder (`~`); default this process's. */
  home?: string | undefined;
  /** The vault, as a real path: its protected notes are refused to edit tools. */
  vault: string;
  /** Vault paths of agent definitions. */
  definitions: string[];
}

/** Input fields that name a file or folder, in Claude Code's file tools. */
const PATH_FIELDS = ['file_path', 'notebook_path', 'path'];

/**
 * Why a call that needs permission is refused at once, without asking anyone; null when a person may
 * decide it. A shell without `allow_shell`, a tool outside `allowed_tools`, a file outside the turn's
 * folders, or an edit of what agents may never edit (definitions, HALT.md, dot-folders, approvals): Claude
 * Code's deny rules stop most of these first; this holds even if one slipped past them.
 */
export function forbiddenCall(tool: string, input: Record<string, unknown>, ceiling: CallCeiling): string | null {
  const name = tool.replace(/\(.*$/s, '');
  if (!ceiling.allowShell && SHELL_TOOLS.includes(name)) return `${name} is a shell, and the operator has not allowed a shell on this machine (allow_shell)`;
  if (ceiling.allowedTools && !toolAllowed(name, ceiling.allowedTools)) return `${name} is not among the tools the operator allows on this machine (allowed_tools)`;
  // Glob's pattern names where it looks too (`/home/me/**`, `../../*`): judged by its fixed part.
  const paths = PATH_FIELDS.map((field) => input[field]);
  if (name === 'Glob' && typeof input.pattern === 'string' && input.pattern.trim() !== '') {
    const base = typeof input.path === 'string' && input.path.trim() !== '' ? writtenPath(input.path, ceiling.cwd, ceiling.home ?? os.homedir()) : ceiling.cwd;
    const parts = input.pattern.trim().split(/[\\/]/);
    const wild = parts.findIndex((part) => /[*?[\]{}]/.test(part));
    if (wild >= 0 && parts.slice(wild).includes('..')) return `the pattern ${input.pattern} climbs out of its folder with ".." after a wildcard`;
    const fixed = (wild >= 0 ? parts.slice(0, wild) : parts).join('/');
    paths.push(fixed === '' && input.pattern.trim().startsWith('/') ? '/' : writtenPath(fixed || '.', base, ceiling.home ?? os.homedir()));
  }
  for (const value of paths) {
    if (typeof value !== 'string' || value === '') continue;
    // As Claude Code reads it: trimmed, `~` the home folder, anything else from the working folder.
    const real = realPathOf(writtenPath(value, ceiling.cwd, ceiling.home ?? os.homedir()));
    if (!ceiling.folders.some((folder) => isInside(real, folder))) return `${value} is outside the folders this agent works in (${ceiling.folders.join(', ')})`;
    if (EDIT_TOOLS.has(name) && isInside(real, ceiling.vault)) {
      const rel = path.relative(ceiling.vault, real).split(path.sep).join('/');
      if (rel.split('/').some((part) => part.startsWith('.'))) return `${rel} is in a dot-folder, which agents may not edit`;
      if (rel.toLowerCase() === 'halt.md') return 'HALT.md is the halt switch, which agents may not edit';
      if (rel.split('/')[0] === APPROVALS_DIR) return `${rel} is an approval note, which only a person decides`;
      if (ceiling.definitions.includes(rel)) return `${rel} is an agent definition, which agents may not edit`;
    }
  }
  return null;
}
