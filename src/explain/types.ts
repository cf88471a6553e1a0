import type { OperatorPolicy } from '../agents/policy.ts';
import type { DaemonStatus } from '../state/status-file.ts';
import type { TurnLogEntry } from '../state/turns-log.ts';
import type { ScheduleState } from '../schedule/scheduler.ts';
import type { VaultScan } from '../intake/vault-scan.ts';
import type { NoteRole } from '../vault/tags.ts';
import type { VaultBudget } from '../state/vault-budget.ts';

/** The answer to `scriptorium explain <note>`: why it did or did not run. */
export interface Explanation {
  note: string;
  role: NoteRole | 'none';
  /** One short line: `done`, `draft: not sent yet`, `waits: the agent "x" is disabled`, ... */
  verdict: string;
  /** Sentences a person can act on. */
  reasons: string[];
  facts: Record<string, string>;
  next?: string;
}

/** What explain knows of the vault and the daemon; the two file reads are the only seams into the disk. */
export interface ExplainContext {
  files: {
    /** The note's text; null when there is no such file. */
    read(vaultPath: string): string | null;
    isSymlink(vaultPath: string): boolean;
  };
  /** The vault as the daemon would load it (`scanVault`). */
  scan: VaultScan;
  policy: OperatorPolicy;
  /** Where the policy was read from, named when a refusal is shown. */
  policySource?: string;
  /** `quiet_for` from the same config: how long a message written in place waits before it is taken. */
  quietForMs?: number;
  /** The live daemon holding the vault and its `status.json`; null when none runs. */
  daemon: { pid: number; status: DaemonStatus | null } | null;
  /** HALT.md's text while it exists (halted), null otherwise. */
  halt: string | null;
  /** The operator config's caps on the whole vault's spending; absent: none known. */
  budget?: VaultBudget;
  /** `.scriptorium/turns/`, as the daemon's ledger reads it: this month, and at least the last many turns. */
  turns: TurnLogEntry[];
  /** The turns of the month the explained note ran in, when that is an earlier month (its own turn is there). */
  noteTurns?: TurnLogEntry[];
  /** `.scriptorium/schedule.json`. */
  schedule: ScheduleState;
  now: Date;
}
