import type { AgentRegistry } from '../agents/registry.ts';
import { callbackNote, MAX_DELEGATION_DEPTH, type CallbackItem } from '../messages/delegation.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { readMessageNote } from '../messages/read-message.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath, wikilink } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { decideGroup, type GroupMember } from './fan-in.ts';
import { GroupChecks } from './groups.ts';

export interface CallbackDeps {
  store: NoteStore;
  registry: AgentRegistry;
  clock: Clock;
  logger: Logger;
  /** The inbound notes of a fan-in group (intake's index). */
  groupMembers: (replyTo: string, group: string) => string[];
}

/**
 * Delegated messages report back. When a message with `reply_to` ends (`done`, `error` or `cancelled`,
 * however it got there), the delegating agent is called back with a note: on success and on failure
 * alike, since an orchestrator waiting on a failure nobody reported would wait forever. Messages that
 * share a `group` call back once, when the group is complete, one failed, or its deadline passed.
 */
export class Callbacks {
  readonly #deps: CallbackDeps;
  readonly #groups: GroupChecks;

  constructor(deps: CallbackDeps) {
    this.#deps = deps;
    this.#groups = new GroupChecks((replyTo, group) => this.#fireIfDue(replyTo, group), deps.clock, deps.logger);
  }

  /** A message has ended: call back whoever delegated it. Idempotent (the `callback_note` stamp says it was done); never throws. */
  async ended(messagePath: string): Promise<void> {
    const { store, registry, logger } = this.#deps;
    try {
      const note = await readMessageNote(store, messagePath);
      if (!note || !note.message.replyTo || note.message.callback) return;
      if (note.data.callback_note !== undefined || note.data.callback_skipped !== undefined) return;
      // Cancelled counts as ended (not ok): an orchestrator waiting on it must hear.
      if (!ended(note.message.status)) return;
      // Refused for naming no agent: there is nobody to call back (the refusal is on the note).
      if (registry.lookup(note.message.replyTo.toLowerCase()).kind === 'unknown') return;
      if (note.message.delegationDepth >= MAX_DELEGATION_DEPTH) {
        const why = `no callback to ${note.message.replyTo}: delegation depth ${note.message.delegationDepth} reached the limit of ${MAX_DELEGATION_DEPTH}`;
        logger.warn('callback not delivered: depth limit', { note: messagePath, replyTo: note.message.replyTo });
        await store.update(messagePath, { callback_skipped: why });
        return;
      }
      if (note.message.group) {
        await this.#groups.check(note.message.replyTo, note.message.group.id);
        return;
      }
      const item = await this.#item(note.message, note.data);
      await this.#write(note.message.replyTo, note.message.delegationDepth + 1, [item], undefined);
    } catch (error) {
      logger.error('callback failed', { note: messagePath, error: errorMessage(error) });
    }
  }

  /** A group member was taken in: its group's deadline is watched from now on. */
  watchDeadline(replyTo: string, group: string, deadline: Date): void {
    this.#groups.deadline(replyTo, group, deadline);
  }

  close(): void {
    this.#groups.close();
  }

  async #fireIfDue(replyTo: string, group: string): Promise<void> {
    const { store, clock, logger, groupMembers } = this.#deps;
    // This round: members not yet reported (a group id used again later starts a new round).
    const notes = (await Promise.all(groupMembers(replyTo, group).map((p) => readMessageNote(store, p)))).filter(
      (n): n is NonNullable<typeof n> => n !== null && n.data.callback_note === undefined,
    );
    const members: GroupMember[] = notes.map(({ message, data }) => ({
      path: message.path,
      finished: ended(message.status),
      ok: message.status === 'done',
      reported: data.callback_note !== undefined,
      size: message.group?.size ?? 1,
      deadline: message.group?.deadline,
    }));
    const decision = decideGroup(members, clock.now());
    if (!decision.fire) return;
    const items: CallbackItem[] = [];
    for (const { message, data } of notes) {
      items.push(
        ended(message.status)
          ? await this.#item(message, data)
          : { agent: message.to, ok: false, pending: true, correlationId: message.correlationId, messagePath: message.path, threadPath: undefined, replyPath: undefined, text: '' },
      );
    }
    const depth = Math.max(...notes.map((n) => n.message.delegationDepth)) + 1;
    const size = Math.max(...members.map((m) => m.size));
    logger.info('fan-in group complete', { group, replyTo, why: decision.why, finished: members.filter((m) => m.finished).length, size });
    await this.#write(replyTo, depth, items, { id: group, size, why: decision.why });
    this.#groups.reported(replyTo, group);
  }

  async #write(to: string, depth: number, items: CallbackItem[], group: { id: string; size: number; why: 'complete' | 'failed' | 'deadline' } | undefined): Promise<void> {
    const { store, clock, logger } = this.#deps;
    const { dir, base, content } = callbackNote({ to, depth, at: clock.now(), items, ...(group ? { group } : {}) });
    // A callback is a message the daemon must run: written so the watcher wakes on it.
    const callbackPath = await store.create(dir, base, content, { wake: true });
    logger.info('callback written', { note: callbackPath, to, items: items.length });
    // Each delegated message and its reply link on to the callback: the chain reads forward in Obsidian.
    // Members still running are stamped too (on disk: the group has reported, also after a restart);
    // NoteStore.update redoes its edit if their own turn writes the note at the same moment.
    for (const item of items) {
      await store.update(item.messagePath, { callback_note: wikilink(callbackPath) });
      if (item.replyPath) await store.update(item.replyPath, { callback_note: wikilink(callbackPath) });
    }
  }

  async #item(message: InboundMessage, data: FrontmatterData): Promise<CallbackItem> {
    const replyTarget = linkTarget(data.reply);
    const replyPath = replyTarget ? targetToPath(replyTarget) : undefined;
    const threadTarget = linkTarget(data.thread);
    let text = typeof data.error === 'string' ? data.error : '';
    if (message.status === 'done' && replyPath) {
      const raw = await this.#deps.store.readIfExists(replyPath);
      text = raw ? parseFrontmatter(raw).body : '(the reply note is missing)';
    }
    return {
      agent: message.to,
      ok: message.status === 'done',
      correlationId: message.correlationId,
      messagePath: message.path,
      threadPath: threadTarget ? targetToPath(threadTarget) : undefined,
      replyPath,
      text: text || (message.status === 'done' ? '(empty reply)' : 'The message failed.'),
      originMessage: message.originMessage ? targetToPath(message.originMessage) : undefined,
    };
  }
}

/** A delegated message that will not run (again) by itself. */
function ended(status: string): boolean {
  return status === 'done' || status === 'error' || status === 'cancelled';
}
