import { loadDefinition } from '../agents/load-definition.ts';
import { refusedDefinition, stampedWriter, WRITTEN_BY } from '../agents/written-by.ts';
import type { OperatorPolicy } from '../agents/policy.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import { readInbound } from '../messages/inbound.ts';
import type { MessageOutcomes } from '../messages/outcome.ts';
import { readStatus, type MessageStatus } from '../messages/status.ts';
import { hasLiveBlock, withoutLiveBlocks } from '../threads/live-block.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { conflictNames } from '../vault/conflict-names.ts';
import { FrontmatterError, parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { mightBeScriptoriumNote } from '../vault/scan.ts';
import { roleOf, type NoteRole } from '../vault/tags.ts';
import { tooBigError } from '../vault/note-size.ts';
import { isInFolders } from '../vault/template-folders.ts';
import { conflictOriginal } from './conflict-copy.ts';
import { inboundEntry, takeInbound, type InboundDeps } from './inbound.ts';
import type { NoteIndex } from './note-index.ts';
import type { SettledEntry } from './settled-notes.ts';
import type { SettledWhileRunning } from './settled-while-running.ts';

export interface IntakeDeps extends Omit<InboundDeps, 'startingUp'> {
  root: string;
  /** How many writes of this note the turns recorded (turns/turn-writes.ts). */
  writeCount: (vaultPath: string) => number;
  store: NoteStore;
  registry: AgentRegistry;
  index: NoteIndex;
  policy: OperatorPolicy;
  /** Obsidian template folders: their notes are forms, never run. */
  templateFolders: string[];
  clock: Clock;
  logger: Logger;
  outcomes: MessageOutcomes;
  /** `notify:` webhooks for reply notes still `pending`. */
  notifier: { notify(replyPath: string): void };
  /** Approval notes: a person's decision lets a waiting tool call go on (approvals/approvals.ts). */
  approvals?: { seen(vaultPath: string, data: FrontmatterData): Promise<void> } | undefined;
  /** Reply notes that ask a question: a person's answer queues the message again (questions/questions.ts). */
  questions?: { seen(vaultPath: string, data: FrontmatterData, body: string): Promise<void> } | undefined;
  /** Told of notes found settled (or not) after the start-up read: the notes index gets them meanwhile. */
  settledWhileRunning?: Pick<SettledWhileRunning, 'seen' | 'unsettled'> | undefined;
}

/** Told when a note, as read (`raw`), needs nothing at start. */
type OnSettled = (entry: SettledEntry, raw: string) => void;

/**
 * A note changed on disk (or was found at start): decide what it is and act. A definition is loaded, a
 * message is admitted into its agent's lane (or refused, on the note), thread and reply notes are
 * remembered. Never throws: a problem with one note is reported on that note and in the log, and the
 * daemon goes on with the others.
 */
export class Intake {
  readonly #deps: IntakeDeps;
  /** During the start-up read, messages wait here until every definition is known. */
  #deferred: string[] | null = null;
  #startingUp = true;
  /** Definitions stamped `written_by`, with the turns' write count for them then (see #madeByAgent). */
  readonly #stamped = new Map<string, number>();

  constructor(deps: IntakeDeps) {
    this.#deps = deps;
  }

  /** From now on, messages (and replies with a webhook pending) wait until `takeDeferred()`. */
  deferMessages(): void {
    this.#deferred = [];
  }

  /** The messages that waited, in the order they were found; intake takes messages in again from now on. */
  takeDeferred(): string[] {
    const deferred = this.#deferred ?? [];
    this.#deferred = null;
    return deferred;
  }

  get deferring(): boolean {
    return this.#deferred !== null;
  }

  /** The start-up messages have all been taken in: a message found `running` from now on was not cut off by a crash. */
  startUpDone(): void {
    this.#startingUp = false;
  }

  /**
   * A note the notes index knows settled in the very file found at start (intake/settled-notes.ts): what
   * `handle` would have remembered of it, without reading it. False when it is no longer to be taken in
   * at all (in a template folder now): the index drops it.
   */
  takeSettled(vaultPath: string, entry: SettledEntry): boolean {
    if (isInFolders(vaultPath, this.#deps.templateFolders)) return false;
    const { error, ...known } = entry;
    this.#deps.index.set(vaultPath, known);
    if (entry.role === 'inbound') this.#deps.index.noteError(vaultPath, error);
    return true;
  }

  /**
   * `settled`: told when the note, as read, needs nothing at start: a message whose outcome is final, a
   * reply with no webhook pending and no question, a thread with no turn cut off in it, the dashboard.
   */
  async handle(
    vaultPath: string,
    options: { ignoreOwnWrite?: boolean; raw?: string | undefined; settled?: ((entry: SettledEntry) => void) | undefined } = {},
  ): Promise<'definition' | 'other'> {
    const running = this.#deps.settledWhileRunning;
    if (options.settled !== undefined || running === undefined) return this.#handle(vaultPath, options);
    // Not the start-up read: a note found settled is a candidate for the notes index now; any other
    // outcome (gone, changed, not settled, not ours) withdraws what was said of it before.
    let found: { entry: SettledEntry; raw: string } | undefined;
    const kind = await this.#handle(vaultPath, { ...options, settled: (entry, raw) => void (found = { entry, raw }) }, true);
    if (found === undefined) running.unsettled(vaultPath);
    else running.seen(vaultPath, found.raw, found.entry);
    return kind;
  }

  /** `whileRunning`: Scriptorium's own writes are looked at too (parsed only to tell whether they settled the note). */
  async #handle(vaultPath: string, options: { ignoreOwnWrite?: boolean; raw?: string | undefined; settled?: OnSettled | undefined }, whileRunning = false): Promise<'definition' | 'other'> {
    const { store, index, logger, outcomes } = this.#deps;
    // A symbolic link may point outside the vault: it is not read, and never written through. (Text read
    // already, by the start-up read, is a plain file's.)
    if (options.raw === undefined && (await store.isSymlink(vaultPath))) {
      logger.warn('symbolic link ignored', { note: vaultPath });
      return this.#forget(vaultPath);
    }
    // Turns appended to a thread's archive by Scriptorium: known by the note's size and mtime, not read.
    if (options.raw === undefined && (await store.isOwnAppend(vaultPath))) return 'other';
    // A note over max_message_bytes is never read whole: its head is enough to see what it is and refuse it.
    const read = options.raw !== undefined ? { raw: options.raw } : await store.readBounded(vaultPath);
    if (read === null) return this.#forget(vaultPath, 'deleted');
    // The size of a note over the limit (its role decides what the refusal says); undefined when read whole.
    const size = 'raw' in read ? undefined : read.size;
    const raw = 'raw' in read ? read.raw : read.head;
    if (size === undefined && !options.ignoreOwnWrite && store.ownWrites.isOwn(vaultPath, raw)) {
      // Scriptorium's own write, renamed into place: whatever was written in place before it is gone.
      this.#deps.quiet.replaced(vaultPath);
      const settled = whileRunning ? this.#ownWriteSettled(vaultPath, raw) : undefined;
      if (settled !== undefined) options.settled?.(settled, raw);
      return 'other';
    }
    // A note Scriptorium wrote for itself to take in (a callback, a scheduled message, an API post): whole,
    // though the watcher cannot tell a rename with polling or off Linux.
    if (size === undefined && store.wokenWrite(vaultPath, raw)) this.#deps.quiet.replaced(vaultPath);
    if (isInFolders(vaultPath, this.#deps.templateFolders)) return this.#forget(vaultPath);
    // Cheap test before any YAML: a Scriptorium note has frontmatter that mentions an agent/ tag.
    if (!mightBeScriptoriumNote(raw)) return this.#forget(vaultPath);
    let data: FrontmatterData;
    let body: string;
    try {
      ({ data, body } = parseFrontmatter(raw));
    } catch (error) {
      const reason = error instanceof FrontmatterError ? error.message : errorMessage(error);
      logger.warn('note has unreadable frontmatter', { note: vaultPath, error: size === undefined ? reason : `${reason} (in its first 64 KB; ${tooBigError(size, store.maxNoteBytes)})` });
      return this.#forget(vaultPath);
    }
    const role = roleOf(data.tags);
    if (role === null) return this.#forget(vaultPath);
    if (role === 'inbound' || role === 'definition') {
      index.noteError(vaultPath, typeof data.error === 'string' ? data.error : undefined);
      // Only the name can tell of a note too big to read: its body is not compared with the original's.
      const original = await conflictOriginal(store, vaultPath, size === undefined ? { data, body } : null);
      if (original !== null) {
        logger.warn('sync conflict copy ignored', { note: vaultPath, original });
        await outcomes.showError(vaultPath, data.error, conflictCopyError(original));
        return 'other';
      }
    }

    switch (role) {
      case 'definition':
        index.set(vaultPath, { role });
        await this.#takeDefinition(vaultPath, data, body, size);
        return 'definition';
      case 'inbound':
        if (this.#deferred) {
          this.#deferred.push(vaultPath);
          return 'other';
        }
        await takeInbound({ ...this.#deps, startingUp: this.#startingUp }, vaultPath, data, body, size === undefined ? undefined : tooBigError(size, store.maxNoteBytes));
        // While running, a message still in its lane is left to the notes index to wait out (its turn's end).
        if (options.settled && size === undefined && settledAs('inbound', data, raw) && (whileRunning || !this.#deps.active.has(vaultPath))) {
          const entry = index.get(vaultPath);
          if (entry?.role === 'inbound') options.settled({ ...entry, role: 'inbound', error: typeof data.error === 'string' ? data.error : undefined }, raw);
        }
        return 'other';
      case 'outbound':
        index.set(vaultPath, { role });
        // A reply that asks the user a question: its answer, once set ready, resumes the conversation.
        if (data.asks === true) {
          // An answer typed in place is taken once the note is quiet, as a message is (the last words count).
          const answering = typeof data.status === 'string' && data.status.trim().toLowerCase() === 'ready' && !this.#deps.writerOf(vaultPath);
          if (answering && size === undefined && this.#deps.quiet.left(vaultPath) > 0) this.#deps.quiet.lookWhenQuiet(vaultPath);
          else await this.#deps.questions?.seen(vaultPath, data, body);
        }
        // A reply whose webhook was not delivered (cut off by a stop, or set back to pending by the user).
        if (data.notify_status === 'pending') {
          // At start, only once every definition (and so every notify: address) is known.
          if (this.#deferred) this.#deferred.push(vaultPath);
          else this.#deps.notifier.notify(vaultPath);
        } else if (size === undefined && settledAs('outbound', data, raw)) {
          options.settled?.({ role: 'outbound' }, raw);
        }
        return 'other';
      case 'approval':
        index.set(vaultPath, { role });
        await this.#deps.approvals?.seen(vaultPath, data);
        return 'other';
      case 'thread':
        index.set(vaultPath, { role });
        // A running turn's section left by a daemon that stopped mid-turn (killed, crashed, its journal
        // gone): found in the start-up read, before any turn runs, it is removed (turns/live-turn.ts).
        if (this.#deferred && size === undefined && hasLiveBlock(raw)) await this.#removeLiveBlocks(vaultPath);
        else if (size === undefined && settledAs('thread', data, raw)) options.settled?.({ role: 'thread' }, raw);
        return 'other';
      default:
        index.set(vaultPath, { role });
        // A thread's archive needs nothing at start either: its parts are only ever appended to.
        if ((role === 'dashboard' || role === 'archive') && size === undefined) options.settled?.({ role }, raw);
        return 'other';
    }
  }

  /**
   * Scriptorium's own write of a message, reply, thread or archive part: settled by the rules start uses,
   * as start would read this very text? Only its frontmatter is parsed, and nothing else is done with it.
   * (A note not in the index yet is one Scriptorium created: a reply, a thread, an archive part.)
   */
  #ownWriteSettled(vaultPath: string, raw: string): SettledEntry | undefined {
    const known = this.#deps.index.get(vaultPath)?.role;
    if (known !== undefined && !SETTLED_WHILE_RUNNING.has(known)) return undefined;
    if (isInFolders(vaultPath, this.#deps.templateFolders) || !mightBeScriptoriumNote(raw)) return undefined;
    let data: FrontmatterData;
    let body: string;
    try {
      ({ data, body } = parseFrontmatter(raw));
    } catch {
      return undefined;
    }
    const role = roleOf(data.tags);
    if (role === null || !SETTLED_WHILE_RUNNING.has(role) || !settledAs(role, data, raw)) return undefined;
    if (role !== 'inbound') return { role: role as SettledEntry['role'] };
    // A sync tool's conflict copy gets its error, never a turn: start says so again (conflict-copy.ts).
    if (conflictNames(vaultPath).some((name) => name.certain)) return undefined;
    return { ...inboundEntry(readInbound(vaultPath, data, body)), role: 'inbound', error: typeof data.error === 'string' ? data.error : undefined };
  }

  async #removeLiveBlocks(vaultPath: string): Promise<void> {
    const { store, logger } = this.#deps;
    try {
      await store.edit(vaultPath, (raw) => withoutLiveBlocks(raw));
      logger.info('removed the section of a turn cut off while it ran from its thread note', { note: vaultPath });
    } catch (error) {
      logger.warn('could not remove the section of a turn cut off while it ran from its thread note', { note: vaultPath, error: errorMessage(error) });
    }
  }

  /** `size`: the note is over max_message_bytes (and `body` only its first part): the agent is invalid. */
  /**
   * The agent whose turn wrote this definition: recorded (turns/turn-writes.ts), or stamped earlier. An
   * agent may not create or change an agent: a new agent is new powers (its own schedule, its own
   * `can_message`), so a definition a turn wrote waits for a person. The stamp deleted with no turn
   * writing since it was put there: a person accepted it.
   */
  #madeByAgent(vaultPath: string, data: FrontmatterData): { agent: string; origin?: string } | undefined {
    const stamp = stampedWriter(data) ?? '';
    const writer = this.#deps.writerOf(vaultPath);
    const accepted = !stamp && this.#stamped.get(vaultPath) === this.#deps.writeCount(vaultPath);
    if (writer && !accepted) return { agent: writer.agent, origin: writer.origin };
    // Kept while the turn's writes are remembered: read again (the watcher, a recheck), it stays accepted,
    // and a later write by a turn still changes the count.
    if (!writer) this.#stamped.delete(vaultPath);
    return stamp ? { agent: stamp } : undefined;
  }

  async #takeDefinition(vaultPath: string, data: FrontmatterData, body: string, size: number | undefined): Promise<void> {
    const { root, registry, policy, logger, outcomes, store } = this.#deps;
    const loaded = loadDefinition(vaultPath, data, body, root, policy, size === undefined ? undefined : { size, limit: store.maxNoteBytes });
    const made = this.#madeByAgent(vaultPath, data);
    const result = made ? refusedDefinition(loaded, made) : loaded;
    if (made && data[WRITTEN_BY] !== made.agent) {
      // Stamped on the note, so the refusal outlasts the daemon's memory of the turn's writes; and the
      // turn's writes so far remembered, so a person deleting the stamp is told from the turn writing again.
      await store.update(vaultPath, { [WRITTEN_BY]: made.agent });
      this.#stamped.set(vaultPath, this.#deps.writeCount(vaultPath));
    }
    const problems = registry.set(vaultPath, result);
    if (problems.length > 0) {
      const error = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      logger.warn('agent definition invalid', { note: vaultPath, error });
      await outcomes.showError(vaultPath, data.error, error);
    } else {
      logger.info('agent definition loaded', { note: vaultPath, agent: result.ok ? result.definition.name : undefined });
      await outcomes.showError(vaultPath, data.error, undefined);
    }
  }

  /** The note is gone, or no longer one of ours: drop what was known of it. */
  #forget(vaultPath: string, why: 'deleted' | 'changed' = 'changed'): 'definition' | 'other' {
    const { index, registry, logger } = this.#deps;
    if (index.forget(vaultPath)?.role !== 'definition') return 'other';
    registry.remove(vaultPath);
    if (why === 'deleted') logger.info('agent definition removed', { note: vaultPath });
    // It was an agent and no longer reads as one: the agent is gone until the note is fixed.
    else logger.warn('agent definition no longer readable; agent unavailable', { note: vaultPath });
    return 'definition';
  }
}

/**
 * Statuses after which a message needs nothing until a person changes its note (messages/status.ts: no
 * move of Scriptorium's leads out of them). `draft` and `waiting` are left to the parse: a draft is the
 * user's to finish, and a waiting message's question may be answered while the daemon is stopped.
 */
const FINAL: ReadonlySet<MessageStatus | null> = new Set<MessageStatus>(['done', 'error', 'cancelled']);

/** Notes whose own writes may settle them while the daemon runs (the dashboard is rewritten too often to bother). */
const SETTLED_WHILE_RUNNING: ReadonlySet<NoteRole> = new Set<NoteRole>(['inbound', 'outbound', 'thread', 'archive']);

/**
 * Whether a note of this role, read as this, needs nothing at start: a message whose outcome is final, a
 * reply with no webhook pending and no question, a thread with no turn cut off in it; an archive part or
 * the dashboard always. One set of rules for the start-up read and for notes settling while the daemon runs.
 */
function settledAs(role: NoteRole, data: FrontmatterData, raw: string): boolean {
  switch (role) {
    case 'inbound':
      return FINAL.has(readStatus(data.status));
    case 'outbound':
      return data.notify_status !== 'pending' && data.asks !== true;
    case 'thread':
      return !hasLiveBlock(raw);
    case 'archive':
    case 'dashboard':
      return true;
    default:
      return false;
  }
}

/** What a conflict copy gets on it: which note it copies, and what to do. */
export function conflictCopyError(original: string): string {
  return `this is a sync conflict copy of ${original}: Scriptorium does not run it. Merge what you need into ${original} and delete this copy.`;
}
