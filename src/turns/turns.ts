import { randomUUID } from 'node:crypto';
import type { AgentDefinition } from '../agents/definition.ts';
import { CHANGED_AFTER_RUN, type RanTexts } from '../messages/changed-after-run.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { readMessage } from '../messages/read-message.ts';
import { queuedFields, type Job, type JobOutcome } from '../queue/job.ts';
import type { Runner, TurnProgress, TurnRequest, TurnResult } from '../runner/types.ts';
import type { Logger } from '../util/logger.ts';
import { singleThreadPath } from '../threads/thread-note.ts';
import { isoLocal } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { targetToPath, wikilink } from '../vault/links.ts';
import { attribute } from '../intake/sender.ts';
import { checkAtLane, type LaneCheckDeps } from './lane-checks.ts';
import { openThread, type ThreadLookup } from './open-thread.ts';
import { LiveTurn } from './live-turn.ts';
import { recordTurn, type RecordDeps } from './record-turn.ts';
import { originOf, turnRequest } from './turn-request.ts';
import type { TurnWrites } from './turn-writes.ts';
import type { OperatorPolicy, SettingSource } from '../agents/policy.ts';
import { turnWorkspace } from '../agents/workspace.ts';
import { TurnTimeout } from '../runner/turn-timeout.ts';
import { answerRun } from './answer-run.ts';
import { openTurnLine, type TurnLineDeps } from './turn-line.ts';

export interface TurnDeps extends LaneCheckDeps, RecordDeps, Omit<TurnLineDeps, 'allowedTools'> {
  root: string;
  /** The vault folder as the user named it, when a link leads to `root`: deny rules cover both forms. */
  rootAsGiven?: string | undefined;
  runner: Runner;
  allowShell: boolean;
  /** The operator's policy: a workspace is checked again, by its real path, as each turn starts. */
  policy: OperatorPolicy;
  settingSources: SettingSource[];
  /** Answers taken from a person, the only ones a turn runs as the user's words (questions/questions.ts). */
  questions?: { takenFor(messagePath: string): string | undefined } | undefined;
  /** How long an approval may wait for a person (`approval_timeout`). */
  approvalTimeoutMs: number;
  /** The values of the operator's secrets (config/secrets.ts): each turn gets those its agent chose. */
  secretValues: ReadonlyMap<string, string>;
  /** Aborted at shutdown once the grace period is over: running turns are stopped. */
  stopSignal: AbortSignal;
  threads: ThreadLookup;
  /** A thread note created for a turn. */
  threadCreated: (threadPath: string) => void;
  /**
   * A note renamed into place and taken in at once: resolves true once its grace is over if it was
   * written to meanwhile, so the turn's prompt is read again (watch/note-events.ts). Undefined otherwise.
   */
  graceOf: (messagePath: string) => Promise<boolean> | undefined;
  /** Which turn wrote which file: each turn's writes are recorded, so the messages it writes are its agent's. */
  writes: TurnWrites;
  /** A running turn is shown in its thread note from this long after it starts, at most this often (0: never). */
  liveIntervalMs: number;
  /** What each turn ran: a change made to its message after that is said on the note (intake). */
  ranTexts: RanTexts;
}

/**
 * One job, start to finish: the message is checked again, its thread found or started, the turn runs,
 * and the reply, the thread and the message note are written back, in that order (so a message marked
 * done always has its reply). Every way it can fail ends in `status: error` with a sentence on the note,
 * a failure note and the thread's status, never in silence.
 */
export class Turns {
  readonly #deps: TurnDeps;

  constructor(deps: TurnDeps) {
    this.#deps = deps;
  }

  async run(job: Job, cancel: AbortSignal): Promise<JobOutcome> {
    const deps = this.#deps;
    const { store, clock, logger, journal, events, outcomes } = deps;
    const log = logger.child({ note: job.message });
    // Renamed into place a moment ago: its grace may still be running.
    const grace = deps.graceOf(job.message);
    const check = await checkAtLane(deps, job);
    if (!check.run) return check.outcome;
    let { message } = check;
    let agent = check.agent;
    // The user's answer to this agent's question: the turn resumes the conversation with it, as the user's words.
    if (message.answer) {
      const answered = await answerRun(store, message, deps.writerOf, (p) => deps.questions?.takenFor(p));
      if ('error' in answered) {
        await outcomes.fail(job.message, 'queued', answered.error);
        return 'done';
      }
      message = answered.message;
    }
    // A change seen from here on is compared with this turn's text, once it has its prompt (below).
    deps.ranTexts.starting(job.message);

    let threadPath: string;
    let thread;
    try {
      const place = turnWorkspace(agent.workspace, agent.path, deps.policy, deps.root);
      if ('error' in place) throw new Error(place.error);
      agent = { ...agent, workspace: place.cwd };
      ({ threadPath, thread } = await openThread({ store, clock, lookup: deps.threads, created: deps.threadCreated }, agent, message));
    } catch (error) {
      const threadLink = message.thread ? targetToPath(message.thread) : singleThreadPath(agent.name);
      await outcomes.failBeforeTurn(message, agent.name, threadLink, errorMessage(error));
      return 'done';
    }

    const startedAt = clock.now();
    await journal.append({ t: 'started', msg: job.message, agent: agent.name, thread: threadPath, startedAt: isoLocal(startedAt), at: isoLocal(startedAt) });
    // The notes say `running` and `working` while the turn starts, not before it: the journal's `started`
    // is what recovery goes by, and these two fsynced writes would otherwise delay every turn by ~3 ms.
    // (Updates re-read the note and keep the user's other fields. A `cancelled` saved in the instant
    // between the read above and this write is overwritten, as it was when this write came first.)
    // A run again (re-run, retry) runs the note as it is now: an earlier changed_after_run no longer holds.
    const running = { started_at: isoLocal(startedAt), thread: wikilink(threadPath), waiting_for: undefined, retry_at: undefined, [CHANGED_AFTER_RUN]: undefined };
    const marked = Promise.all([
      outcomes.start(job.message, job.direct ? 'ready' : 'queued', running, job.direct ? queuedFields(job) : {}),
      store.update(threadPath, { status: 'working' }),
    ]).then(
      () => undefined,
      (error) => log.warn('could not mark the message running', { error: errorMessage(error) }),
    );
    events.emit({ type: 'turn-started', data: { agent: agent.name, message: job.message, thread: threadPath, at: isoLocal(startedAt) } });
    log.debug('turn started', { agent: agent.name, thread: threadPath, resume: thread.session !== undefined });

    const notices: string[] = [];
    // The turn's limit, paused while a person decides an approval, and its line to the daemon.
    const timeout = new TurnTimeout(agent.timeoutMs);
    const line = openTurnLine({ ...deps, allowedTools: deps.policy.allowedTools }, { agent, message: job.message, thread: threadPath, timeout, log });
    const requestDeps = {
      root: deps.root,
      rootAsGiven: deps.rootAsGiven,
      registry: deps.registry,
      allowShell: deps.allowShell,
      settingSources: deps.settingSources,
      policy: deps.policy,
      secretValues: deps.secretValues,
      channel: line?.address,
      approvals: { on: deps.approvals !== undefined, timeoutMs: deps.approvalTimeoutMs },
      stopSignal: deps.stopSignal,
      onProgress: (m: InboundMessage, a: AgentDefinition, p: TurnProgress) => this.#progress(m, a, p),
    };
    const first = turnRequest(requestDeps, agent, message, threadPath, thread, startedAt);
    let asRun = message;
    // The process starts now; its prompt follows when the grace is over, read again if the note's writer
    // appended to it meanwhile (the same message, to the same agent: otherwise it runs as it was taken).
    // What the prompt was made of: a change to the note seen after this is one the turn did not run.
    const ran = (data: typeof check.data, body: string) => deps.ranTexts.ran(job.message, data, body, isoLocal(clock.now()));
    const promptLater = (grace ?? Promise.resolve(false)).then(async (changed) => {
      const asTaken = () => {
        // The note's own text (an answer run's prompt is the answer, not the note's body).
        ran(check.data, check.message.body);
        return first.prompt;
      };
      if (!changed) return asTaken();
      const again = await readMessage(store, job.message, { stable: true });
      if (again.kind !== 'ok' || again.message.to !== agent.name) return asTaken();
      // Who sent it is Scriptorium's word here too: text another turn wrote since it was taken in, or a
      // sender its writer may not claim, is not run; the message runs as it was taken.
      const writer = deps.writerOf(job.message);
      const attributed = writer && !deps.sent.has(writer, job.message) ? undefined : attribute(again.message, again.data, writer);
      if (!attributed?.ok) {
        log.warn('message rewritten by an agent just after it arrived; it runs as it was taken', { agent: writer?.agent });
        return asTaken();
      }
      log.info('message written to just after it arrived; the turn has its whole text');
      asRun = attributed.message;
      ran(again.data, attributed.message.body);
      return turnRequest(requestDeps, agent, attributed.message, threadPath, thread, startedAt).prompt;
    });
    let result: TurnResult;
    const record = deps.writes.begin({ agent: agent.name, depth: message.delegationDepth, origin: originOf(message) }, agent.workspace);
    const live =
      deps.liveIntervalMs > 0
        ? new LiveTurn({ store, clock, logger: log, intervalMs: deps.liveIntervalMs }, { threadPath, number: thread.turnCount + 1, from: message.from, messagePath: message.path, startedAt })
        : undefined;
    const request = {
      ...first,
      settings: record.settings,
      promptLater,
      timeout,
      signal: AbortSignal.any([deps.stopSignal, cancel]),
      onProgress: (p: TurnProgress) => {
        live?.saw(p);
        return p.type === 'write' ? deps.writes.saw(record.id, p.file) : first.onProgress?.(p);
      },
    };
    try {
      result = await this.#runTurn(request, notices, log);
    } finally {
      deps.writes.end(record.id);
      line?.close();
      // Its last write lands before the record that takes its place (or, for a retry, removes it).
      await live?.stop();
    }
    await marked;
    if (cancel.aborted && !result.ok && result.errorKind === 'aborted') {
      result = { ...result, errorKind: 'cancelled', error: 'Cancelled: this message was set to cancelled while its turn ran, so the turn was stopped.' };
    }
    await promptLater;
    const question = line?.questions.join('\n\n') || undefined;
    await recordTurn(deps, { agent, message: asRun, threadPath, thread, result, notices, sessionTried: request.sessionId, startedAt: isoLocal(startedAt), question });
    return 'done';
  }

  /** The turn's process, started again once when Claude Code lost the session or found it in use. */
  async #runTurn(request: TurnRequest, notices: string[], log: Logger): Promise<TurnResult> {
    const deps = this.#deps;
    let result = await deps.runner(request);
    if (!result.ok && result.errorKind === 'unknown_session' && request.resume) {
      // Claude Code lost the session (its files were removed, or a different HOME): start over once, and
      // say so in the thread, since the model no longer has the earlier turns.
      const fresh = randomUUID();
      notices.push(`Claude Code had no record of session ${request.sessionId}; this turn started a fresh session (${fresh}) without the earlier context.`);
      log.warn('session not found; starting a fresh one', { session: request.sessionId, fresh });
      result = await deps.runner({ ...request, sessionId: fresh, resume: false });
    } else if (!result.ok && result.errorKind === 'session_in_use' && !request.resume) {
      result = await deps.runner({ ...request, sessionId: randomUUID() });
    }
    return result;
  }

  /** The turn's process reports: journaled (a crash must end it), and shown as it happens. */
  #progress(message: InboundMessage, agent: AgentDefinition, p: TurnProgress): void {
    const { clock, journal, logger, events } = this.#deps;
    if (p.type === 'started' && p.pid) {
      journal.append({ t: 'spawned', msg: message.path, pid: p.pid, at: isoLocal(clock.now()) }).catch((error) => {
        logger.warn("could not journal the turn's process", { note: message.path, error: errorMessage(error) });
      });
    }
    const at = isoLocal(clock.now());
    if (p.type === 'tool') events.emit({ type: 'tool', data: { agent: agent.name, message: message.path, tool: p.name, at } });
    if (p.type === 'retry') events.emit({ type: 'api-retry', data: { agent: agent.name, message: message.path, attempt: p.attempt, maxRetries: p.maxRetries, error: p.error, at } });
  }
}
