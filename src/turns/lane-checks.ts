import type { AgentDefinition } from '../agents/definition.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import type { MessageOutcomes } from '../messages/outcome.ts';
import { readMessage } from '../messages/read-message.ts';
import { queuedFields, type Job, type JobOutcome } from '../queue/job.ts';
import { budgetHold, type Ledger } from '../state/ledger.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { attribute } from '../intake/sender.ts';
import type { SentNotes } from '../intake/sent-notes.ts';
import type { Writer } from './turn-writes.ts';
import type { VaultCap } from './vault-cap.ts';

export interface LaneCheckDeps {
  store: NoteStore;
  registry: AgentRegistry;
  clock: Clock;
  logger: Logger;
  outcomes: MessageOutcomes;
  ledger: Ledger;
  /** Agents whose messages wait on a budget or rate limit, with the reason (shown by status). */
  holds: Map<string, string>;
  /** The vault's spending caps (operator config): past one, no agent's turn starts. */
  vaultCap: Pick<VaultCap, 'check'>;
  /** Look at waiting messages again at this time (a budget day, a rate window or a retry ends). */
  recheckAt: (when: Date) => void;
  /** The agent whose turn wrote this note, if one did (turns/turn-writes.ts). */
  writerOf: (vaultPath: string) => Writer | undefined;
  /** Which turn's writes of which notes intake took in (intake/sent-notes.ts). */
  sent: SentNotes;
  /**
   * Resolves once the note has been quiet for `quiet_for` since it was last written in place (at once when
   * it has): false when the daemon stops first (watch/quiet-notes.ts).
   */
  untilQuiet: (vaultPath: string, waiting: () => void) => Promise<boolean>;
}

/** `data`: the message note's fields as read for the turn. */
export type LaneCheck = { run: true; message: InboundMessage; data: FrontmatterData; agent: AgentDefinition } | { run: false; outcome: JobOutcome };

/**
 * The job's turn has come: is the message still one to run now? It is read again (the user may have
 * edited, cancelled or re-addressed it while it waited), and its agent may be disabled, over a budget or
 * backing off after a failure; then it waits, visibly, and is looked at again later.
 */
export async function checkAtLane(deps: LaneCheckDeps, job: Job): Promise<LaneCheck> {
  const { store, registry, clock, logger, outcomes } = deps;
  const log = logger.child({ note: job.message });
  const skip = (outcome: JobOutcome = 'done'): LaneCheck => ({ run: false, outcome });
  // Edited in place while it waited in its lane (or just after it was taken): read once the editing is
  // over, as a new message would be. Stopping meanwhile, it stays as it is and runs at the next start.
  if (!(await deps.untilQuiet(job.message, () => log.debug('message written in place while it waited; its turn waits until it is quiet')))) return skip();
  // Taken at once, no `queued` write (whose read waits for the note to be quiet) came first: this read
  // waits instead, so a note still being written in place is never run half-written.
  const reading = await readMessage(store, job.message, { stable: job.direct });
  if (reading.kind === 'gone') {
    log.info('message removed before it ran');
    return skip();
  }
  if (reading.kind === 'invalid') {
    log.warn('message unreadable when its turn came', { field: reading.problem.field, error: reading.problem.message });
    await outcomes.fail(job.message, job.direct ? 'ready' : 'queued', reading.problem.message);
    return skip();
  }
  // Written `ready` again while it waited (by its writer saving once more, say): the changes seen then
  // were passed over as the job's own, so it is taken in afresh, checked like any new message.
  if (!job.direct && reading.message.status === 'ready') {
    log.info('message set to ready again while queued; taking it in again');
    return skip('requeue');
  }
  let message = reading.message;
  // The user may have cancelled or reset it while it waited. (Taken at once, it is still `ready`.)
  if (message.status !== 'queued' && !(job.direct && message.status === 'ready')) {
    log.info('message no longer queued; skipped', { status: message.status });
    // A delegated message cancelled before it ran still answers whoever waits on it.
    if (message.status === 'cancelled') await outcomes.ended(job.message);
    return skip();
  }
  // Written by a turn since intake took it in (an agent editing a message that waits, someone else's
  // included): it is that agent's message now, and is taken in afresh as one, checked (can_message, the
  // depth limit, the loop guard), counted and stamped; re-attributing it here would skip all that.
  const writer = deps.writerOf(job.message);
  if (writer && !deps.sent.has(writer, job.message)) {
    log.warn("message written by an agent's turn while it waited; taking it in again as that agent's", { agent: writer.agent });
    return skip('requeue');
  }
  // Read again, so attributed again: an agent's second write must not turn its message into someone else's.
  const attribution = attribute(message, reading.data, writer);
  if (!attribution.ok) {
    log.warn('message refused: an agent wrote it as someone else', { error: attribution.error });
    await outcomes.fail(job.message, message.status, attribution.error);
    return skip();
  }
  message = attribution.message;
  // Re-addressed while it waited: it belongs in the other agent's lane (one turn per agent at a time).
  if (message.to !== job.agent) {
    log.info('message re-addressed while queued; moving it to its new agent', { from: job.agent, to: message.to });
    return skip('requeue');
  }
  const lookup = registry.lookup(message.to);
  if (lookup.kind !== 'ok') {
    await outcomes.fail(
      job.message,
      message.status,
      lookup.kind === 'unknown' ? `no agent named "${message.to}" any more` : `the definition of "${message.to}" (${lookup.path}) has errors; fix it, then set this message back to ready`,
    );
    return skip();
  }
  const agent = lookup.definition;
  // Waiting after all: a message taken at once now says `queued` (with what that write carries), so it
  // is looked at again.
  const wait = (fields: Record<string, unknown> = {}) => outcomes.queue(job.message, message.status, { ...(job.direct ? queuedFields(job) : {}), ...fields });
  if (!agent.enabled) {
    // Disabled after it was queued: it keeps waiting, and runs when the agent is enabled again.
    if (job.direct) await wait();
    log.info('agent disabled; message waits', { agent: agent.name });
    return skip();
  }
  // The whole vault over the operator's daily or monthly cap: every agent's message waits, visibly, and
  // is looked at again when the day or the month is over (the cap asks for that look itself).
  const stopped = deps.vaultCap.check();
  if (stopped) {
    if (message.waitingFor !== stopped.reason || job.direct) await wait({ waiting_for: stopped.reason });
    // Debug only: the cap itself is logged once when it is reached (turns/vault-cap.ts), not per message.
    log.debug('message waits: the vault spending cap is reached', { agent: agent.name, cap: stopped.cap });
    return skip();
  }
  // Over its daily budget or its runs per hour: the message waits, visibly, and is looked at again
  // when the day or the hour has moved on.
  const hold = budgetHold(deps.ledger, agent, clock.now());
  if (hold) {
    deps.holds.set(agent.name, hold.reason);
    if (message.waitingFor !== hold.reason || job.direct) await wait({ waiting_for: hold.reason });
    deps.recheckAt(hold.until);
    log.info('message waits: agent over a limit', { agent: agent.name, reason: hold.reason });
    return skip();
  }
  deps.holds.delete(agent.name);
  if (message.retryAt && message.retryAt > clock.now()) {
    // Backing off after a transient failure: its retry time is on the note.
    if (job.direct) await wait();
    deps.recheckAt(message.retryAt);
    return skip();
  }
  return { run: true, message, data: reading.data, agent };
}
