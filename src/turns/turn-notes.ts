import type { AgentRegistry } from '../agents/registry.ts';
import type { MessageOutcomes } from '../messages/outcome.ts';
import { outboundNote } from '../messages/outbound.ts';
import type { DaemonEvents } from '../state/events.ts';
import type { Journal, ResultRecord } from '../state/journal.ts';
import type { TurnLogEntry } from '../state/turns-log.ts';
import { placeTurnRecord } from '../threads/live-block.ts';
import { splitOlderTurns, withArchiveEmbed } from '../threads/thread-archive.ts';
import { newThreadNote, readThreadState, renderTurn, threadFieldsAfterTurn } from '../threads/thread-note.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { locateFrontmatter, parseFrontmatter, updateFrontmatterText } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { archiveTurns } from './archive-turns.ts';
import { readThreadNote } from './open-thread.ts';
import { questionNote } from '../questions/question-note.ts';

/** What writing a finished turn's notes needs (the turn itself, or recovery replaying its record). */
export interface TurnNotesDeps {
  store: NoteStore;
  registry: AgentRegistry;
  clock: Clock;
  logger: Logger;
  journal: Journal;
  events: DaemonEvents;
  outcomes: MessageOutcomes;
  /** Inbound notes of an agent, to find a message renamed while it ran. */
  messagesTo: (agent: string) => string[];
  /** The turn is counted (turns log, budgets, dashboard). */
  onTurnFinished: (entry: TurnLogEntry) => void;
  notifier: { notify(replyPath: string): void };
  /** A reply note now holds a question for the user (questions/questions.ts shows it under Needs you). */
  asked?: (notePath: string, agent: string, question: string, since: string) => void;
}

/**
 * Records this process has counted. Notes a full disk kept from being written are written again from the
 * same record (turns/write-retries.ts): the turn is counted, and shown finished, once.
 */
const counted = new WeakSet<ResultRecord>();

/**
 * The notes of a finished turn, from its journal record: the reply, the thread, the message marked
 * done or error. Every step checks what is already there, so running it again after a crash half-way
 * finishes the job without writing anything twice.
 */
export async function writeTurnNotes(deps: TurnNotesDeps, record: ResultRecord): Promise<void> {
  const { store, clock, logger, journal, events, outcomes } = deps;
  const at = new Date(record.at);
  // The reply and the thread are two notes: written side by side, both before the message says done.
  await Promise.all([writeReply(deps, record, at), writeThreadTurn(deps, record, at)]);

  // Recorded (turns log, budgets) before the message shows its outcome: whoever sees `done` sees the
  // turn counted. A replay after a crash right here may count it twice; it never loses it.
  const entry: TurnLogEntry = {
    at: record.at,
    agent: record.agent,
    message: record.msg,
    thread: record.thread,
    reply: record.reply,
    ok: record.ok,
    error: record.ok ? undefined : record.text,
    costUsd: record.costUsd,
    durationMs: record.durationMs,
    session: record.session,
  };
  if (!counted.has(record)) {
    counted.add(record);
    deps.onTurnFinished(entry);
    // The terminal shows turns from these events (src/cli/progress.ts); the log lines are the detail.
    // The reply's text travels with the event (cut: `tail` shows its start, the note has all of it).
    events.emit({ type: 'turn-finished', data: { ...entry, text: store.redact(record.text.slice(0, 2000)) } });
  }
  const end = { ok: record.ok, cancelled: record.errorKind === 'cancelled', at: record.at, reply: record.reply, error: record.text };
  if (record.question !== undefined) {
    // It asked the user: the message waits for the answer in its reply note, and has not ended (no callback yet).
    await outcomes.wait(record.msg, { reply: wikilink(record.reply), question: wikilink(record.reply), waiting_for: `your answer in ${wikilink(record.reply)}`, answer: undefined, error: undefined });
    deps.asked?.(record.reply, record.agent, record.question, record.at);
  } else if (!(await outcomes.finish(record.msg, end))) {
    // Renamed or moved while it ran (Obsidian renames a note when its title is edited): find it again.
    const moved = await findRenamed(deps, record.agent, record.startedAt);
    if (moved) {
      logger.info('message was renamed while it ran', { note: record.msg, now: moved });
      await outcomes.finish(moved, end);
    }
  }
  // The notes are written: a `finished` that cannot be journaled (a full disk) only means a restart
  // replays them, finding each one there.
  await journal.append({ t: 'finished', msg: record.msg, at: isoLocal(clock.now()) }).catch((error: unknown) => {
    logger.warn('could not journal the finished turn', { note: record.msg, error: errorMessage(error) });
  });
  if (notifyOf(deps.registry, record.agent) !== undefined) deps.notifier.notify(record.reply);
}

/** The reply note of a finished turn, unless it is there already (a replay after a crash). */
async function writeReply(deps: TurnNotesDeps, record: ResultRecord, at: Date): Promise<void> {
  if (deps.store.exists(record.reply)) return;
  if (record.question !== undefined) {
    const notify = notifyOf(deps.registry, record.agent) !== undefined;
    await deps.store.write(record.reply, questionNote({ agent: record.agent, question: record.question, text: record.text, inboundPath: record.msg, threadPath: record.thread, at, notify }));
    return;
  }
  const reply = outboundNote({
    agent: record.agent,
    to: record.to,
    inboundPath: record.msg,
    threadPath: record.thread,
    at,
    ok: record.ok,
    text: record.text,
    originMessage: record.origin,
    notify: notifyOf(deps.registry, record.agent) !== undefined,
  });
  await deps.store.write(record.reply, reply);
}

/** The turn added to its thread note, unless it is there already (a replay after a crash). */
async function writeThreadTurn(deps: TurnNotesDeps, record: ResultRecord, at: Date): Promise<void> {
  const { raw: threadRaw, existing } = await readThreadForUpdate(deps, record, at);
  if (threadRaw.includes(wikilink(record.reply))) return;
  const number = record.threadBefore.turnCount + 1;
  const turnText = renderTurn({
    number,
    at,
    from: record.from,
    messagePath: record.msg,
    messageText: record.body,
    replyPath: record.reply,
    replyText: record.question !== undefined ? `**Asked you:** ${record.question}${record.text.trim() ? `\n\n${record.text.trim()}` : ''}` : record.text,
    ok: record.ok,
    tools: record.tools,
    costUsd: record.costUsd,
    durationMs: record.durationMs,
    notices: record.notices,
  });
  const before = { ...record.threadBefore, startedAt: undefined };
  // The session was cleared while the turn ran (`scriptorium reset --force`, or by hand): the reset stands.
  // The turn ran on the old session; writing that back would undo the reset without a word.
  const cleared = existing && record.threadBefore.session !== undefined && readThreadState(parseFrontmatter(threadRaw).data).session === undefined;
  const session = cleared ? '' : record.session;
  const fields = threadFieldsAfterTurn(before, { ok: record.ok, session, costUsd: record.costUsd, usage: record.usage, at });
  // In the place of the turn's live section, if it had one (turns/live-turn.ts); appended otherwise.
  const placed = placeTurnRecord(threadRaw, number, turnText);
  // The turns before it leave for the archive (appended there), so the note written here stays the size of
  // one turn however long the thread is (threads/thread-archive.ts).
  const { head, older, rest } = splitOlderTurns(placed.text, locateFrontmatter(placed.text)?.bodyStart ?? 0, placed.at);
  let next = placed.text;
  if (older.trim()) {
    const archive = existing ? parseFrontmatter(threadRaw).data.archive : undefined;
    const part = await archiveTurns(deps.store, { path: record.thread, agent: record.agent, archive }, older);
    next = withArchiveEmbed(head, record.thread, part) + rest;
    fields.archive = wikilink(part);
  }
  await deps.store.write(record.thread, updateFrontmatterText(next, fields));
}

/**
 * The thread note as it is now, to append a turn to. It was a thread note when the turn began; if it does
 * not read as one now, someone is most likely saving it this instant (an in-place write caught half-way):
 * read again. Should it still not be one, the turn starts a fresh thread note there, keeping whatever text
 * was in the note below it: nothing is lost, and the frontmatter is never written without its tag.
 */
async function readThreadForUpdate(deps: TurnNotesDeps, record: ResultRecord, at: Date): Promise<{ raw: string; existing: boolean }> {
  const { raw, isThread } = await readThreadNote(deps.store, record.thread);
  if (raw === null) return { raw: newThreadNote(record.agent, record.mode, at), existing: false };
  if (isThread) return { raw, existing: true };
  deps.logger.warn('thread note no longer reads as a thread; starting it afresh, keeping its text', { note: record.thread });
  return { raw: newThreadNote(record.agent, record.mode, at) + (raw ? `\n${raw}\n` : ''), existing: false };
}

/** The running message of `agent` that started at `startedAt`, wherever its note is now. */
async function findRenamed(deps: TurnNotesDeps, agent: string, startedAt: string): Promise<string | null> {
  for (const path of deps.messagesTo(agent)) {
    const raw = await deps.store.readForFields(path);
    if (!raw) continue;
    try {
      const data = parseFrontmatter(raw).data;
      if (data.status === 'running' && data.started_at === startedAt) return path;
    } catch {
      // Not readable: not the one.
    }
  }
  return null;
}

export function notifyOf(registry: AgentRegistry, agent: string): string | undefined {
  const lookup = registry.lookup(agent);
  return lookup.kind === 'ok' ? lookup.definition.notify : undefined;
}
