import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { NoteStore } from '../vault/note-store.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import type { VaultSpending } from './vault-budget.ts';

/** What `scriptorium status` reads while the daemon runs: `.scriptorium/status.json`. */
export interface DaemonStatus {
  pid: number;
  vault: string;
  startedAt: string;
  updatedAt: string;
  halted: boolean;
  haltReason?: string | undefined;
  concurrency: number;
  /** What the vault spent today and this month, its caps, and the reason turns are stopped while one is reached. */
  spending?: VaultSpending | undefined;
  /** What waits for a person: approvals to decide and questions to answer, oldest first. */
  needsYou?: NeedsYou[] | undefined;
  agents: AgentStatus[];
}

/** One thing a person must do for a turn to go on. */
export interface NeedsYou {
  kind: 'approval' | 'question';
  /** The note to open: the approval note, or the reply note that holds the question. */
  path: string;
  agent: string;
  /** The call (`Write: Notes/x.md (120 characters)`) or the question, in a line. */
  what: string;
  since: string;
  expiresAt?: string | undefined;
}

export interface AgentStatus {
  name: string;
  path: string;
  state: 'idle' | 'working' | 'queued' | 'error';
  queued: number;
  error: string | undefined;
  description: string | undefined;
  mode: string | undefined;
  enabled?: boolean | undefined;
  nextRun?: string | undefined;
  /** Why its messages wait (a budget or rate limit). */
  hold?: string | undefined;
  lastRun?: string | undefined;
}

export const STATUS_FILE = `${STATE_DIR}/status.json`;

export async function writeStatus(store: NoteStore, status: DaemonStatus): Promise<void> {
  const { agents, ...head } = status;
  await store.write(STATUS_FILE, statusText(head, agents.map(agentStatusText)));
}

/**
 * One agent's entry as it stands in `status.json`'s `agents` array: made once per change of that agent, so
 * a write with a thousand agents joins texts instead of serialising every agent again.
 */
export function agentStatusText(agent: AgentStatus): string {
  // JSON.stringify escapes every newline inside a string: each line break here is the layout's.
  return '    ' + JSON.stringify(agent, null, 2).replaceAll('\n', '\n    ');
}

/** `status.json`'s text, the same as `JSON.stringify(status, null, 2)`, from its entries' texts. */
export function statusText(head: Omit<DaemonStatus, 'agents'>, agents: string[]): string {
  const empty = JSON.stringify({ ...head, agents: [] }, null, 2);
  const tail = '"agents": []\n}';
  if (agents.length === 0) return empty + '\n';
  return `${empty.slice(0, -tail.length)}"agents": [\n${agents.join(',\n')}\n  ]\n}\n`;
}

export async function readStatus(root: string): Promise<DaemonStatus | null> {
  try {
    return JSON.parse(await readFile(path.join(root, STATUS_FILE), 'utf8')) as DaemonStatus;
  } catch {
    return null;
  }
}
