import type { AgentDefinition } from '../agents/definition.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { outboundBaseName } from '../messages/outbound.ts';
import type { ResultRecord } from '../state/journal.ts';
import type { TurnResult } from '../runner/types.ts';
import type { ThreadState } from '../threads/thread-note.ts';
import { isoLocal } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { targetToPath } from '../vault/links.ts';
import { scheduleRetry, type RetryDeps } from './retry.ts';
import { writeTurnNotes, type TurnNotesDeps } from './turn-notes.ts';

export type RecordDeps = TurnNotesDeps &
  RetryDeps & {
    /** A write for this message failed (a full disk): do it again later (turns/write-retries.ts). */
    writeLater: (messagePath: string, write: () => Promise<void>, error: unknown) => void;
  };

/** A turn that has run, as the lane hands it on to be recorded. */
export interface FinishedTurn {
  agent: AgentDefinition;
  /** The message as the turn ran it. */
  message: InboundMessage;
  threadPath: string;
  thread: ThreadState;
  result: TurnResult;
  notices: string[];
  /** The session the turn was started with (a fresh one unless it resumed). */
  sessionTried: string;
  /** What the turn asked the user with `ask_user`, if it asked (and succeeded). */
  question?: string | undefined;
  startedAt: string;
}

/**
 * A finished turn: retried later if it failed for a passing reason, otherwise journaled with every
 * decision its notes depend on (so a replay after a crash writes exactly these notes), then written.
 */
export async function recordTurn(deps: RecordDeps, done: FinishedTurn): Promise<void> {
  const { store, clock, logger, journal } = deps;
  const { agent, message, threadPath, result } = done;
  const at = clock.now();
  const failedAttempts = (message.retryAttempt ?? 0) + 1;
  if (!result.ok && result.transient && failedAttempts < deps.maxAttempts) {
    const retry = () => scheduleRetry(deps, { messagePath: message.path, threadPath, threadTurns: done.thread.turnCount, error: result.error }, failedAttempts);
    await retry().catch((error: unknown) => notWritten(deps, done, retry, error));
    return;
  }
  const text = result.ok
    ? (result.text ?? '')
    : `${result.error ?? 'The turn failed.'}${result.transient && failedAttempts > 1 ? ` (after ${failedAttempts} attempts)` : ''}`;
  // Named from the message's name, redacted before it is cut to length (a cut secret would not match).
  const { dir, base } = outboundBaseName(agent.name, store.redact(message.path), at);
  const origin = message.callback && message.originMessage ? targetToPath(message.originMessage) : undefined;
  const record: ResultRecord = {
    t: 'result',
    msg: message.path,
    agent: agent.name,
    mode: agent.mode,
    thread: threadPath,
    // The reply's name is chosen now and journaled, so a replay after a crash writes this very note
    // (or finds it written) and never a second one.
    reply: store.freePath(dir, base),
    startedAt: done.startedAt,
    at: isoLocal(at),
    ok: result.ok,
    text,
    session: result.sessionId ?? (result.ok ? done.sessionTried : done.thread.session),
    costUsd: result.costUsd,
    usage: result.usage,
    tools: result.tools,
    durationMs: result.durationMs,
    notices: done.notices,
    from: message.from,
    // The answer to a callback goes to whoever asked for the work in the first place.
    to: origin ? await senderOf(deps, origin, message.from) : message.from,
    body: message.body,
    origin,
    threadBefore: { turnCount: done.thread.turnCount, costUsd: done.thread.costUsd, usage: done.thread.usage, session: done.thread.session },
    errorKind: result.errorKind,
    ...(result.ok && done.question ? { question: done.question } : {}),
  };
  // Not journaled (the disk is full): the record is kept in memory while its notes wait, and journaled
  // first when they are tried again. A crash meanwhile runs the turn again, as for a turn cut off.
  let journaled = await journal.append(record).then(
    () => true,
    () => false,
  );
  // Logged before the notes are written: whoever sees the message's final status finds the line there.
  const log = logger.child({ note: record.msg, agent: agent.name });
  if (result.ok) log.debug('turn done', { reply: record.reply, costUsd: result.costUsd, durationMs: result.durationMs });
  else log.warn('turn failed', { kind: result.errorKind, error: result.error, reply: record.reply, stderr: result.stderrTail.slice(-300) || undefined });
  const write = async () => {
    if (!journaled) {
      await journal.append(record);
      journaled = true;
    }
    await writeTurnNotes(deps, record);
  };
  await (journaled ? writeTurnNotes(deps, record) : write()).catch((error: unknown) => notWritten(deps, done, write, error));
}

/**
 * The turn's process has ended but its notes could not be written: it no longer shows as working, and
 * its notes are written later, without running the turn again.
 */
function notWritten(deps: RecordDeps, done: FinishedTurn, write: () => Promise<void>, error: unknown): void {
  const { message, agent } = done;
  deps.events.emit({ type: 'turn-unwritten', data: { agent: agent.name, message: message.path, error: errorMessage(error), at: isoLocal(deps.clock.now()) } });
  deps.writeLater(message.path, write, error);
}

/** Who sent the message that started a delegation: the final answer goes to them. */
async function senderOf(deps: RecordDeps, messagePath: string, fallback: string): Promise<string> {
  const raw = await deps.store.readForFields(messagePath);
  if (!raw) return fallback;
  try {
    const from = parseFrontmatter(raw).data.from;
    return typeof from === 'string' && from.trim() ? from.trim() : 'user';
  } catch {
    return fallback;
  }
}
