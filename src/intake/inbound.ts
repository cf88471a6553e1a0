import type { AgentRegistry } from '../agents/registry.ts';
import { CHANGED_AFTER_RUN, changedAfterRunText, type RanTexts } from '../messages/changed-after-run.ts';
import { delegationOrigin } from '../delegation/origin.ts';
import { readInbound, type InboundMessage } from '../messages/inbound.ts';
import type { MessageOutcomes } from '../messages/outcome.ts';
import type { ActiveMessages } from '../queue/active-messages.ts';
import { queuedFields, type Job } from '../queue/job.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import { targetToPath } from '../vault/links.ts';
import type { Writer } from '../turns/turn-writes.ts';
import type { QuietNotes } from '../watch/quiet-notes.ts';
import { admissionRefusal } from './admission.ts';
import type { LoopGuard } from './loop-guard.ts';
import type { IndexEntry, NoteIndex } from './note-index.ts';
import { attribute } from './sender.ts';
import type { SentNotes } from './sent-notes.ts';

export interface InboundDeps {
  registry: AgentRegistry;
  index: NoteIndex;
  clock: Clock;
  logger: Logger;
  outcomes: MessageOutcomes;
  loopGuard: LoopGuard;
  active: ActiveMessages;
  /** Whether a job for this agent would start at once (Lanes.free). */
  laneFree: (agent: string) => boolean;
  enqueue: (job: Job) => void;
  /** A fan-in group member was taken in: its group's deadline is watched. */
  watchDeadline: (replyTo: string, group: string, deadline: Date) => void;
  /** The start-up pass: a message found `running` was cut off by a stop. */
  startingUp: boolean;
  /** The agent whose turn wrote this note, if one did (turns/turn-writes.ts). */
  writerOf: (vaultPath: string) => Writer | undefined;
  /** Which turn's writes of which notes were taken in already (shared with the lanes' checks). */
  sent: SentNotes;
  /** Its turn ran and its notes wait for the disk (turns/write-retries.ts): `running` until they are written. */
  notesPending: (vaultPath: string) => boolean;
  /** When notes were last written in place: a message is taken once quiet (watch/quiet-notes.ts). */
  quiet: Pick<QuietNotes, 'left' | 'lookWhenQuiet' | 'replaced'>;
  /** What each message's turn ran, to tell a change made after it (messages/changed-after-run.ts). */
  ranTexts: RanTexts;
}

/**
 * An inbound note, read: admitted into its agent's lane, left waiting, or refused with a sentence on it.
 * `tooBig`: the note is over max_message_bytes (the refusal), and `body` is only its first part.
 */
export async function takeInbound(deps: InboundDeps, vaultPath: string, data: FrontmatterData, body: string, tooBig?: string): Promise<void> {
  const { registry, index, clock, logger, outcomes, active } = deps;
  const reading = readInbound(vaultPath, data, body);
  index.set(vaultPath, inboundEntry(reading));
  if (reading.ok && reading.message.status === 'cancelled' && active.isRunning(vaultPath) && active.cancel(vaultPath)) {
    logger.info('message cancelled while running; stopping its turn', { note: vaultPath });
  }
  if (reading.ok) await sayIfChangedAfterRun(deps, vaultPath, reading.message.status, data, body);
  if (active.has(vaultPath)) {
    if (!active.isRunning(vaultPath)) logger.debug('message changed while it waits in its lane; its turn reads it then', { note: vaultPath });
    return;
  }
  // Written in place (an editor saving as you type): nothing is done with it, not even an error written
  // on it, until it has been quiet for quiet_for. A turn's file tools write a note whole, at once.
  const status = reading.ok ? reading.message.status : reading.status;
  const wouldAct = status === null || status === 'ready' || status === 'queued';
  const left = wouldAct && !deps.writerOf(vaultPath) ? deps.quiet.left(vaultPath) : 0;
  if (left > 0) {
    logger.debug('message written in place; taken once quiet', { note: vaultPath, waitMs: Math.ceil(left) });
    deps.quiet.lookWhenQuiet(vaultPath);
    return;
  }
  if (!reading.ok) {
    if (reading.status === 'draft' || reading.status === 'done' || reading.status === 'error' || reading.status === 'cancelled' || reading.status === 'waiting') return;
    logger.warn('message invalid', { note: vaultPath, field: reading.field, error: reading.error });
    // An invalid status is the user's to fix: the error goes on the note, the status stays.
    if (reading.status === null) await outcomes.showError(vaultPath, data.error, reading.error);
    else await outcomes.fail(vaultPath, reading.status, reading.error);
    return;
  }
  let message = reading.message;
  switch (message.status) {
    case 'draft':
    case 'done':
    case 'error':
    case 'cancelled':
    case 'waiting': // its agent asked the user a question: the answer, in the reply note, queues it again (questions/)
      return;
    case 'running':
      // Found running at start: the daemon stopped mid-turn. Re-running could repeat what the turn
      // already did, so the user decides. Seen running later, it is a running note renamed or moved
      // (its turn finds it again when it ends), not one to touch.
      if (deps.startingUp && !deps.notesPending(vaultPath)) {
        await outcomes.fail(vaultPath, 'running', 'Scriptorium stopped while this message was running, so its reply may be missing. Set status back to ready to run it again.');
      }
      return;
    case 'ready':
    case 'queued':
      break;
  }
  if (tooBig) {
    logger.warn('message too big; refused', { note: vaultPath, field: 'size', error: tooBig });
    await outcomes.fail(vaultPath, message.status, tooBig);
    return;
  }
  // A note that is all frontmatter is most likely still being typed.
  if (message.body === '') {
    logger.debug('message has no text yet; waiting', { note: vaultPath });
    return;
  }
  // Written by an agent's turn: that agent's message, stamped so, whatever the note says it is.
  const writer = deps.writerOf(vaultPath);
  const attribution = attribute(message, data, writer);
  if (!attribution.ok) {
    logger.warn('message refused: an agent wrote it as someone else', { note: vaultPath, agent: writer?.agent, error: attribution.error });
    // The try counts toward the loop guard: an agent forging notes in a loop is stopped all the same.
    if (writer && (message.status === 'ready' || !deps.sent.has(writer, vaultPath))) deps.loopGuard.record(writer.agent);
    await outcomes.fail(vaultPath, message.status, attribution.error);
    return;
  }
  message = attribution.message;
  const stamp = attribution.stamp;
  const stamped = Object.keys(stamp).length > 0;
  // A note a turn wrote `queued` itself, or a message waiting in a lane that a turn edited, has not been
  // sent as that turn's yet: it is sent now, checked against the loop guard and counted like one written
  // `ready`. (A note Scriptorium queued, looked at again, was counted when it was sent.)
  const sending = message.status === 'ready' || (writer !== undefined && !deps.sent.has(writer, vaultPath));
  const refusal = admissionRefusal(sending ? { ...message, status: 'ready' } : message, { registry, sentInLastHour: (agent) => deps.loopGuard.sentInLastHour(agent) });
  if (refusal) {
    if (refusal.kind !== 'unknown-agent' && refusal.kind !== 'invalid-agent') logger.warn('message refused', { note: vaultPath, error: refusal.error });
    await outcomes.fail(vaultPath, message.status, refusal.error);
    return;
  }
  if (writer) deps.sent.add(writer, vaultPath);
  if (message.group?.deadline) deps.watchDeadline(message.replyTo!.toLowerCase(), message.group.id, message.group.deadline);
  const lookup = registry.lookup(message.to);
  if (lookup.kind === 'ok' && !lookup.definition.enabled) {
    // It waits, visibly queued, and runs when the agent is enabled again. Its stamp is written now: who
    // sent it must not depend on how long the daemon remembers a turn's writes.
    if (message.status !== 'queued') await outcomes.queue(vaultPath, message.status, { queued_at: isoLocal(clock.now()), error: undefined, ...stamp });
    else if (stamped) await outcomes.queue(vaultPath, 'queued', stamp);
    if (sending) countSent(deps, message);
    logger.info('agent disabled; message waits', { note: vaultPath, agent: message.to });
    return;
  }
  const queuedAt = isoLocal(clock.now());
  const job: Job = { message: vaultPath, agent: message.to, queuedAt, direct: false };
  if (message.status === 'ready') {
    job.originMessage = message.replyTo && !message.originMessage ? runningOrigin(deps, message.replyTo) : undefined;
    // A message a free lane takes starts at once: `queued` is not written (see Job.direct). A stamped one
    // is written first, so the note says who sent it before its turn reads it again.
    if (deps.laneFree(message.to) && !stamped) job.direct = true;
    else await outcomes.queue(vaultPath, 'ready', { ...queuedFields(job), ...stamp });
  } else if (stamped) {
    await outcomes.queue(vaultPath, 'queued', stamp);
  }
  if (sending) countSent(deps, message);
  deps.enqueue(job);
}

/** What the index keeps of an inbound note, as read. */
export function inboundEntry(reading: ReturnType<typeof readInbound>): IndexEntry {
  return {
    role: 'inbound',
    ...(reading.ok
      ? {
          to: reading.message.to,
          replyTo: reading.message.replyTo?.toLowerCase(),
          group: reading.message.group?.id,
          origin: reading.message.callback && reading.message.originMessage ? targetToPath(reading.message.originMessage) : undefined,
        }
      : {}),
  };
}

function runningOrigin(deps: InboundDeps, replyTo: string): string | undefined {
  const running = [...deps.active.runningPaths()].map((path) => ({ path, agent: deps.index.get(path)?.to, origin: deps.index.get(path)?.origin }));
  return delegationOrigin(replyTo, running);
}

/** A message from an agent to an agent counts toward the sender's loop guard. */
function countSent(deps: InboundDeps, message: InboundMessage): void {
  if (message.callback) return;
  const sender = deps.registry.lookup(message.from.toLowerCase());
  if (sender.kind === 'ok') deps.loopGuard.record(sender.definition.name);
}

/**
 * A message whose turn read it, ended or still running, that now says something else (more text typed
 * after the turn took it): the change has not run, and the note and the log say so. A status alone is no
 * change (`ready` runs it again), nor are Scriptorium's own stamps.
 */
async function sayIfChangedAfterRun(deps: InboundDeps, vaultPath: string, status: InboundMessage['status'], data: FrontmatterData, body: string): Promise<void> {
  if (status !== 'running' && status !== 'done' && status !== 'error') return;
  const readAt = deps.ranTexts.changedSince(vaultPath, data, body);
  if (readAt === undefined || data[CHANGED_AFTER_RUN]) return;
  deps.logger.warn('message changed after its turn read it; the change has not run', { note: vaultPath, status, readAt });
  await deps.outcomes.showChangedAfterRun(vaultPath, data[CHANGED_AFTER_RUN], changedAfterRunText(isoLocal(deps.clock.now()), readAt));
}
