import type { AgentRegistry } from '../agents/registry.ts';
import type { Lanes } from '../queue/lanes.ts';
import type { Runner } from '../runner/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';
import type { DaemonConfig } from './config.ts';
import type { TurnLogEntry } from './state-file.ts';

/** The pieces a message's handling needs, built once by the daemon. */
export interface DaemonContext {
  root: string;
  store: NoteStore;
  registry: AgentRegistry;
  lanes: Lanes;
  runner: Runner;
  clock: Clock;
  logger: Logger;
  config: DaemonConfig;
  /** Messages this process has queued or is running, by path: never queued twice. */
  active: Map<string, 'queued' | 'running'>;
  /** Aborted at shutdown once the grace period is over: running turns are stopped. */
  stopSignal: AbortSignal;
  /** Known thread notes (for `thread:` links by name). */
  threads: Set<string>;
  /** Obsidian template folders: their notes are forms, never run. */
  templateFolders: string[];
  /** During the start-up scan, inbound notes are collected here and handled after every definition. */
  deferInbound: string[] | null;
  onTurnFinished: (entry: TurnLogEntry) => void;
  onProgress: (agent: string, text: string) => void;
}
