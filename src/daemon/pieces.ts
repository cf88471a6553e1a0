import { DEFAULT_SETTING_SOURCES } from '../agents/policy.ts';
import { AgentRegistry } from '../agents/registry.ts';
import type { DaemonConfig } from '../config/operator-config.ts';
import { DashboardWriter } from '../dashboard/dashboard-writer.ts';
import type { DashboardSnapshot } from '../dashboard/render.ts';
import { Callbacks } from '../delegation/callbacks.ts';
import { Intake } from '../intake/intake.ts';
import { LoopGuard } from '../intake/loop-guard.ts';
import { NoteIndex } from '../intake/note-index.ts';
import { RanTexts } from '../messages/changed-after-run.ts';
import { MessageOutcomes } from '../messages/outcome.ts';
import { ReplyNotifier } from '../notify/reply-notifier.ts';
import { ActiveMessages } from '../queue/active-messages.ts';
import { JobQueue } from '../queue/job-queue.ts';
import type { Job } from '../queue/job.ts';
import { Lanes } from '../queue/lanes.ts';
import { createClaudeRunner } from '../runner/run-claude.ts';
import type { Runner } from '../runner/types.ts';
import { writeScheduledMessage } from '../schedule/fire-message.ts';
import { scheduleStateFile } from '../schedule/schedule-state.ts';
import { Scheduler } from '../schedule/scheduler.ts';
import { DaemonEvents } from '../state/events.ts';
import { Journal } from '../state/journal.ts';
import { Ledger } from '../state/ledger.ts';
import { appendTurn, TURNS_DIR, type TurnLogEntry } from '../state/turns-log.ts';
import type { RecoveryDeps } from '../state/recovery.ts';
import { writeTurnNotes, type TurnNotesDeps } from '../turns/turn-notes.ts';
import { Turns } from '../turns/turns.ts';
import { VaultCap } from '../turns/vault-cap.ts';
import { TurnWrites } from '../turns/turn-writes.ts';
import { SentNotes } from '../intake/sent-notes.ts';
import { SettledWhileRunning } from '../intake/settled-while-running.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { Timers } from '../util/timers.ts';
import { redactDeep, type Redactor } from '../util/redact.ts';
import { addUrlSecrets } from '../config/config-secrets.ts';
import { NoteStore } from '../vault/note-store.ts';
import { WriteHealth } from '../vault/write-health.ts';
import { WriteRetries } from '../turns/write-retries.ts';
import { templateFolders } from '../vault/template-folders.ts';
import { NoteEvents, type NoteHandling } from '../watch/note-events.ts';
import { VaultWatcher } from '../watch/vault-watcher.ts';
import { AgentHolds } from './agent-holds.ts';
import { HaltSwitch } from './halt.ts';
import { NextRunWriter } from './next-run.ts';
import { WaitingRechecks } from './rechecks.ts';
import { StatusView } from './status-view.ts';
import { StatusWriter } from './status-writer.ts';
import { TurnChannel } from '../channel/turn-channel.ts';
import { Approvals } from '../approvals/approvals.ts';
import { Questions } from '../questions/questions.ts';

export interface PiecesOptions {
  root: string;
  /** The vault folder as the user named it: a link to `root`, or `root` itself. */
  rootAsGiven?: string | undefined;
  config: DaemonConfig;
  clock: Clock;
  logger: Logger;
  /** The daemon's one redactor: its environment's secrets, the config's, and each `notify:` URL's once read. */
  redact: Redactor;
  /** The operator's secrets, read once at start: each turn gets those its agent chose. */
  secretValues: ReadonlyMap<string, string>;
  runner: Runner | undefined;
  /** Aborted at shutdown once the grace period is over: running turns are stopped. */
  stopSignal: AbortSignal;
  stopping: () => boolean;
  startedAt: () => string;
  /** The start-up read is done: what status.json and the dashboard would show before it is half known. */
  vaultTaken: () => boolean;
  onTurnFinished: ((entry: TurnLogEntry) => void) | undefined;
  /** What Dashboard.md shows: the daemon's own `dashboardSnapshot()` (tests count renders there). */
  dashboardSnapshot: () => DashboardSnapshot;
  /** The quiet wait's time and timers (watch/quiet-notes.ts); the real ones when undefined. */
  timers?: Timers | undefined;
}

/**
 * The daemon's pieces, each built with only what it needs, and wired: watcher → note events → intake →
 * job queue (lanes) → turns → notes, with delegation, recovery, the halt switch, schedules and the views
 * of it all. The composition root's one place for `new`.
 */
export function buildPieces(options: PiecesOptions) {
  const { root, config, clock, logger, stopSignal, redact } = options;
  const index = new NoteIndex();
  const events = new DaemonEvents();
  // A full or read-only disk: said once, and whatever waits for it is written as soon as writes succeed.
  const health = new WriteHealth(root, logger, { retry: () => writeRetries.now(), waiting: () => writeRetries.size > 0 });
  const store = new NoteStore(root, {
    redact,
    health,
    maxNoteBytes: config.maxMessageBytes,
    // Every `error:` Scriptorium sets or clears, for the dashboard's "needs attention".
    onUpdate: (vaultPath, updates) => {
      if (!('error' in updates)) return;
      index.noteError(vaultPath, typeof updates.error === 'string' ? updates.error : undefined);
      dashboard?.changed();
    },
  });
  const registry = new AgentRegistry({
    onDefinition: (definition) => {
      if (definition.notify) addUrlSecrets(redact, definition.notify);
    },
    // Bound late: the view is made after the pieces it reads.
    onChange: (name) => agentChanged(name),
  });
  const changed = () => status.changed();
  /** What the status views show of one agent changed: only its entry and row are made again. */
  const agentChanged = (name: string) => {
    view.agentChanged(name);
    changed();
  };
  // Bound late: the jobs' queue needs pieces made after these.
  const lanes: Lanes<Job> = new Lanes<Job>({
    concurrency: config.concurrency,
    onChange: (agent) => {
      if (agent === undefined) view.everyAgentChanged();
      else view.agentChanged(agent);
      changed();
    },
    run: (job) => jobs.run(job),
    ended: (job) => jobs.ended(job),
  });
  const active = new ActiveMessages();
  const journal = new Journal(root, { redact });
  const ledger = new Ledger();
  const holds = new AgentHolds(agentChanged);
  const budget = { dailyUsd: config.dailyBudgetUsd, monthlyUsd: config.monthlyBudgetUsd };
  const vaultCap = new VaultCap({ ledger, budget, clock, logger, recheckAt: (when) => rechecks.at(when) });
  const folders = templateFolders(root);
  const notifier = new ReplyNotifier({
    root,
    store,
    registry,
    policy: config.policy,
    clock,
    logger,
    retry: { maxAttempts: config.notifyMaxAttempts, baseDelayMs: config.notifyBaseDelayMs },
  });
  const callbacks = new Callbacks({ store, registry, clock, logger, groupMembers: (replyTo, group) => index.groupMembers(replyTo, group) });
  const outcomes = new MessageOutcomes({
    store,
    clock,
    logger,
    ended: (messagePath) => {
      // Bound late: an ended message's answer, if it had one, has run (or never will).
      questions.ended(messagePath);
      return callbacks.ended(messagePath);
    },
  });
  const writeRetries: WriteRetries = new WriteRetries({
    logger,
    health,
    baseMs: config.writeRetryBaseMs,
    maxMs: config.writeRetryMaxMs,
    giveUp: async (messagePath, error) => {
      if (!(await outcomes.fail(messagePath, 'running', error))) return false;
      // Its result record must not be replayed over the error at the next start.
      await journal.append({ t: 'finished', msg: messagePath, at: isoLocal(clock.now()) }).catch(() => {});
      return true;
    },
  });
  // What each turn ran, so a change made to its message afterwards is said (messages/changed-after-run.ts).
  const ranTexts = new RanTexts();
  const writeLater = (messagePath: string, write: () => Promise<void>, error: unknown) => writeRetries.later(messagePath, write, error);

  const watcher = new VaultWatcher({
    root,
    usePolling: config.usePolling,
    onNote: (vaultPath, event, whole) => noteEvents.onNote(vaultPath, event, whole),
    onError: (error) => logger.error('watcher error', { error: errorMessage(error) }),
  });
  const noteEvents = new NoteEvents({
    store,
    writtenSince: (vaultPath, since) => watcher.writtenSince(vaultPath, since),
    settleMs: config.settleMs,
    wholeGraceMs: config.wholeGraceMs,
    quietMs: config.quietForMs,
    timers: options.timers,
    logger,
    handle: (vaultPath, handling) => handle(vaultPath, handling),
    onHalt: () => void halt.check(),
    closing: options.stopping,
  });
  const rechecks = new WaitingRechecks({ store, index, active, clock, process: (vaultPath) => noteEvents.process(vaultPath), changed });

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
      ledger.record(entry);
      // The turn that reaches a cap is when it is said (once), not the next message's check.
      vaultCap.check();
      view.addTurns(entry);
      // A full or read-only disk is said once by `health`, not again for every turn.
      appendTurn(root, redactDeep(entry, redact)).catch((error) => void (health.failed(error, TURNS_DIR) || logger.error('could not record the turn', { error: errorMessage(error) })));
      options.onTurnFinished?.(entry);
      changed();
    },
    notifier,
    // Bound late: questions needs pieces made after these.
    asked: (notePath, agent, question, since) => questions.asked(notePath, agent, question, since),
  };
  // Which turn wrote which file; a turn cut off by a stop left its record, read back now.
  const writes = new TurnWrites(root, clock, redact);
  writes.recover();
  const writerOf = (vaultPath: string) => writes.writerOf(vaultPath);
  // Turns reach the daemon through this (ask_user, permission prompts); approvals wait for a person here.
  const channel = new TurnChannel(logger);
  const approvals = config.approvals
    ? new Approvals({ store, clock, logger, timeoutMs: config.approvalTimeoutMs, writerOf, changed: () => changed(), notify: (agent, payload) => notifier.post(agent, payload) })
    : undefined;
  const questions = new Questions({ store, clock, logger, outcomes, writerOf, admit: async (messagePath) => void (await intake.handle(messagePath, { ignoreOwnWrite: true })), changed: () => changed() });
  const sent = new SentNotes();
  // After a crash: a turn that ran has its notes written from its journal record, as the turn would have.
  // A message re-run is our own `queued` write: its mtime, recent after a crash, is no one typing (daemon/startup.ts).
  const recovery: RecoveryDeps = { ...turnNotes, replay: (record) => writeTurnNotes(turnNotes, record), writeLater, reran: (messagePath) => noteEvents.quiet.replaced(messagePath) };
  const turns = new Turns({
    ...turnNotes,
    root,
    runner: options.runner ?? createClaudeRunner({ claudePath: config.claudePath, postResultGraceMs: config.postResultGraceMs, killGraceMs: config.killGraceMs }),
    allowShell: config.policy.allowShell,
    policy: config.policy,
    rootAsGiven: options.rootAsGiven,
    settingSources: config.policy.settingSources ?? DEFAULT_SETTING_SOURCES,
    secretValues: options.secretValues,
    channel,
    approvals,
    approvalTimeoutMs: config.approvalTimeoutMs,
    questions,
    stopSignal,
    threads: { root, exists: (vaultPath) => store.exists(vaultPath), threads: index.threads(), templateFolders: folders },
    threadCreated: (threadPath) => index.addThread(threadPath),
    graceOf: (messagePath) => noteEvents.graceOf(messagePath),
    untilQuiet: (messagePath, waiting) => noteEvents.quiet.until(messagePath, waiting),
    ranTexts,
    ledger,
    holds,
    vaultCap,
    recheckAt: (when) => rechecks.at(when),
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    writes,
    writerOf,
    sent,
    writeLater,
    liveIntervalMs: config.liveTurnIntervalMs,
  });
  const jobs: JobQueue = new JobQueue({
    lanes,
    active,
    logger,
    run: (job, cancel) => turns.run(job, cancel),
    // Not even the error could be written (a full disk): it is written later, never left `running`.
    failed: async (job, error) => {
      const fail = () => outcomes.failOrThrow(job.message, 'running', error);
      await fail().catch((writeError: unknown) => writeLater(job.message, fail, writeError));
    },
    // Straight to intake, not through the per-path order: the job is done with the note.
    requeue: async (job) => void (await intake.handle(job.message, { ignoreOwnWrite: true })),
  });
  // Notes that settle while the daemon runs reach the notes index as they do, not a start later.
  const settledWhileRunning = new SettledWhileRunning({ store, clock, logger, busy: (vaultPath) => active.has(vaultPath) });
  const intake = new Intake({
    root,
    store,
    registry,
    index,
    policy: config.policy,
    templateFolders: folders,
    clock,
    logger,
    outcomes,
    notifier,
    loopGuard: new LoopGuard(clock),
    active,
    notesPending: (vaultPath) => writeRetries.has(vaultPath),
    laneFree: (agent) => lanes.free(agent),
    enqueue: (job) => jobs.enqueue(job),
    watchDeadline: (replyTo, group, deadline) => callbacks.watchDeadline(replyTo, group, deadline),
    writerOf,
    sent,
    writeCount: (vaultPath) => writes.writeCount(vaultPath),
    approvals,
    questions,
    quiet: noteEvents.quiet,
    ranTexts,
    settledWhileRunning,
  });

  const halt: HaltSwitch = new HaltSwitch({ store, lanes, clock, logger, events, resumed: () => scheduler.resumed(), changed });
  const nextRuns = new NextRunWriter({ store, registry, logger, changed });
  const scheduler: Scheduler = new Scheduler({
    clock,
    logger,
    state: scheduleStateFile(store, logger),
    fire: (fire) => writeScheduledMessage({ store, clock, logger, isActive: (messagePath) => active.has(messagePath) }, fire),
    isHalted: () => halt.halted,
    onNextRun: (agent, next) => {
      view.scheduleChanged(agent);
      changed();
      nextRuns.show(agent, next);
    },
  });
  const view = new StatusView({ root, concurrency: config.concurrency, registry, lanes, ledger, budget, index, clock, holds, schedule: scheduler, halt, startedAt: options.startedAt, needsYou: () => [...(approvals?.needsYou() ?? []), ...questions.needsYou()] });
  const dashboard = config.dashboard ? new DashboardWriter({ store, logger, snapshot: options.dashboardSnapshot, minIntervalMs: config.dashboardIntervalMs }) : undefined;
  // Each turn's start and end shows on the dashboard.
  events.subscribe((event) => {
    if (event.type === 'turn-started' || event.type === 'turn-finished') dashboard?.changed();
  });
  const status = new StatusWriter({ store, logger, view, dashboard, started: options.vaultTaken });

  /** A note, handed on by the watcher (one at a time per path). A definition's change reaches beyond it. */
  async function handle(vaultPath: string, { cascade = true, raw, ignoreOwnWrite, settled }: NoteHandling): Promise<void> {
    const kind = await intake.handle(vaultPath, { raw, ignoreOwnWrite, settled });
    if (kind !== 'definition' || !cascade || intake.deferring) return;
    // A name may have been freed or taken: the other definitions' errors are read again. Not awaited:
    // two definitions saved together would otherwise each wait for the other.
    for (const other of registry.paths()) if (other !== vaultPath) void noteEvents.process(other, { cascade: false });
    // Messages waiting for that agent (disabled, say) get another look.
    await rechecks.now();
    await scheduler.sync(registry.definitions());
  }

  return { channel, approvals, questions, health, writeRetries, store, registry, index, events, lanes, active, journal, ledger, vaultCap, notifier, callbacks, watcher, noteEvents, rechecks, recovery, intake, settledWhileRunning, halt, scheduler, view, dashboard, status };
}

export type Pieces = ReturnType<typeof buildPieces>;
