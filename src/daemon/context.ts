import type { AgentRegistry } from '../agents/registry.ts';
import type { NoteRole } from '../vault/tags.ts';
import type { Lanes } from '../queue/lanes.ts';
import type { Runner } from '../runner/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';
import type { DaemonConfig } from './config.ts';
import type { TurnLogEntry } from './state-file.ts';
import type { Ledger } from './ledger.ts';
import type { Journal } from './journal.ts';
import type { DaemonEvents } from './events.ts';
import type { ReplyNotifier } from './notify-replies.ts';

/** What the daemon remembers about a note between events. */
export interface IndexEntry {
  role: NoteRole;
  /** Inbound notes: the agent addressed, to re-check waiting messages when a definition changes. */
  to?: string;
  /** Inbound notes: where a callback goes, and the fan-in group, to find a group's members. */
  replyTo?: string;
  group?: string;
  /** Callbacks: the message that started the delegation (`origin_message`). */
  origin?: string;
}

export type NoteIndex = Map<string, IndexEntry>;

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
  /** Running messages, by path: aborting one stops its turn (the user set it to `cancelled`). */
  cancels: Map<string, AbortController>;
  /**
   * Notes renamed into place and taken in at once, while their grace runs: resolves true if the note was
   * written to (or replaced) meanwhile, so the turn's prompt is read again. See Daemon.#onNote.
   */
  graces: Map<string, Promise<boolean>>;
  index: NoteIndex;
  /** Fan-in deadline timers, by `<reply_to>/<group>`. */
  groupTimers: Map<string, NodeJS.Timeout>;
  /** When each agent sent messages to agents (the loop guard's window). */
  sentByAgent: Map<string, number[]>;
  /** Known thread notes (for `thread:` links by name). */
  threads: Set<string>;
  /** Obsidian template folders: their notes are forms, never run. */
  templateFolders: string[];
  /** During the start-up scan, inbound notes are collected here and handled after every definition. */
  deferInbound: string[] | null;
  /** True until the start-up scan's messages have all been taken in. */
  startingUp: boolean;
  /** Each message's progress, for recovery after a crash. */
  journal: Journal;
  /** Spend and runs per agent, for daily_budget_usd and max_runs_per_hour. */
  ledger: Ledger;
  /** Agents whose messages wait on a budget or rate limit, with the reason (shown by status). */
  holds: Map<string, string>;
  /** Look at waiting messages again at this time (a budget day or a rate window ends). */
  recheckAt: (when: Date) => void;
  onTurnFinished: (entry: TurnLogEntry) => void;
  /** Turn progress as it happens (the terminal, the HTTP API's /events, the dashboard). */
  events: DaemonEvents;
  /** `notify:` webhooks for reply notes. */
  notifier: ReplyNotifier;
  /** Inbound and definition notes whose `error:` is set now, with it: the dashboard's "needs attention". */
  noteErrors: Map<string, string>;
}
