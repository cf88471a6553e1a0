// The pieces one pipeline stage is built from, real where they touch the vault (a temp vault, the real
// NoteStore, registry, index and outcomes), recorded where they lead to the next stage: a stage is tested
// on its own, without a daemon, a watcher or timing.
import { AgentRegistry } from '../../src/agents/registry.ts';
import { loadDefinition } from '../../src/agents/load-definition.ts';
import { SAFE_POLICY } from '../../src/agents/policy.ts';
import { NoteIndex } from '../../src/intake/note-index.ts';
import { MessageOutcomes } from '../../src/messages/outcome.ts';
import { DaemonEvents } from '../../src/state/events.ts';
import { Journal } from '../../src/state/journal.ts';
import { Ledger } from '../../src/state/ledger.ts';
import type { TurnLogEntry } from '../../src/state/turns-log.ts';
import type { TurnNotesDeps } from '../../src/turns/turn-notes.ts';
import type { Clock } from '../../src/util/clock.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { parseFrontmatter } from '../../src/vault/frontmatter.ts';
import { NoteStore } from '../../src/vault/note-store.ts';
import { createTempVault, type TempVault } from './temp-vault.ts';

export interface StageKit {
  vault: TempVault;
  store: NoteStore;
  registry: AgentRegistry;
  index: NoteIndex;
  logger: ReturnType<typeof createMemoryLogger>;
  clock: Clock & { set(iso: string): void };
  outcomes: MessageOutcomes;
  journal: Journal;
  ledger: Ledger;
  events: DaemonEvents;
  /** Messages reported ended to delegation (the callback stage), in order. */
  ended: string[];
  /** Turns counted (turns log, budgets), in order. */
  counted: TurnLogEntry[];
  /** Replies handed to the webhook notifier. */
  notified: string[];
  /** What writing a turn's notes needs, wired to the kit. */
  turnNotes: TurnNotesDeps;
  /** Write a definition note and register it as intake would (policy applied). */
  defineAgent(name: string, fields?: Record<string, unknown>): Promise<void>;
  cleanup(): Promise<void>;
}

/** A clock standing at `iso` until the test moves it. */
export function fixedClock(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return { now: () => new Date(now), set: (next) => void (now = new Date(next)) };
}

export async function createStageKit(files: Record<string, string> = {}): Promise<StageKit> {
  const vault = await createTempVault(files);
  const store = new NoteStore(vault.root);
  const registry = new AgentRegistry();
  const index = new NoteIndex();
  const logger = createMemoryLogger();
  const clock = fixedClock('2026-06-01T10:00:00Z');
  const ended: string[] = [];
  const counted: TurnLogEntry[] = [];
  const notified: string[] = [];
  const outcomes = new MessageOutcomes({ store, clock, logger, ended: async (path) => void ended.push(path) });
  const journal = new Journal(vault.root);
  const ledger = new Ledger();
  const events = new DaemonEvents();
  const turnNotes: TurnNotesDeps = {
    store,
    registry,
    clock,
    logger,
    journal,
    events,
    outcomes,
    messagesTo: (agent) => index.inboundTo(agent),
    onTurnFinished: (entry) => {
      counted.push(entry);
      ledger.record(entry);
    },
    notifier: { notify: (path) => void notified.push(path) },
  };
  return {
    vault,
    store,
    registry,
    index,
    logger,
    clock,
    outcomes,
    journal,
    ledger,
    events,
    ended,
    counted,
    notified,
    turnNotes,
    async defineAgent(name, fields = {}) {
      const path = await vault.writeAgent(name, fields);
      const { data, body } = parseFrontmatter(await vault.read(path));
      registry.set(path, loadDefinition(path, data, body, vault.root, SAFE_POLICY));
    },
    cleanup: () => vault.cleanup(),
  };
}
