import path from 'node:path';
import { AgentRegistry } from '../agents/registry.ts';
import { Lanes } from '../queue/lanes.ts';
import { createClaudeRunner } from '../runner/run-claude.ts';
import type { Runner } from '../runner/types.ts';
import { isoLocal, systemClock, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { createRedactor, redactDeep } from '../util/redact.ts';
import { NoteStore, STATE_DIR } from '../vault/note-store.ts';
import { Scheduler, type ScheduleState } from '../schedule/scheduler.ts';
import { writeScheduledMessage } from './schedule-fire.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { readStatus as readMessageStatus } from '../messages/status.ts';
import { templateFolders } from '../vault/template-folders.ts';
import { VaultWatcher } from '../watch/vault-watcher.ts';
import { DEFAULT_CONFIG, type DaemonConfig } from './config.ts';
import type { DaemonContext } from './context.ts';
import { handleNote } from './intake.ts';
import { notesChangedSince, readVaultAtStart, stillAsRead, type StartupNote } from './startup-scan.ts';
import { acquireLock } from './lock.ts';
import { budgetHold, Ledger } from './ledger.ts';
import { Journal } from './journal.ts';
import { recoverFromJournal } from './recovery.ts';
import { appendTurn, readRecentTurns, writeStatus, type AgentStatus, type TurnLogEntry } from './state-file.ts';
import { DaemonEvents } from './events.ts';
import { HALT_NOTE, haltReason } from './halt-note.ts';
import { ReplyNotifier } from './notify-replies.ts';
import { DashboardWriter } from '../dashboard/dashboard-writer.ts';
import type { DashboardAgent, DashboardSnapshot } from '../dashboard/render.ts';
import { startHttpApi, type RunningApi } from './http-api.ts';

export { HALT_NOTE };
const SCHEDULE_FILE = `${STATE_DIR}/schedule.json`;
/** Turns kept in memory for the dashboard. */
const RECENT_TURNS = 20;

function isQueued(raw: string): boolean {
  try {
    return readMessageStatus(parseFrontmatter(raw).data.status) === 'queued';
  } catch {
    return false;
  }
}

export interface DaemonOptions {
  vault: string;
  config?: Partial<DaemonConfig>;
  runner?: Runner;
  clock?: Clock;
  logger?: Logger;
  onTurnFinished?: (entry: TurnLogEntry) => void;
}

/**
 * The composition root: watcher → intake → lanes → runner → notes. `start()` resolves once the vault has
 * been read and messages left waiting are queued, `watching()` once chokidar watches every folder too;
 * `close()` stops new turns, lets running ones finish within the grace period, then stops them. Both are
 * safe to call twice.
 */
export class Daemon {
  readonly root: string;
  readonly config: DaemonConfig;
  readonly #ctx: DaemonContext;
  readonly #watcher: VaultWatcher;
  readonly #abort = new AbortController();
  readonly #settleTimers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Map<string, Promise<void>>();
  #startedAt = '';
  #releaseLock: (() => Promise<void>) | undefined;
  #started: Promise<void> | undefined;
  #watchingNow: () => void = () => {};
  readonly #watchingPromise = new Promise<void>((resolve) => (this.#watchingNow = resolve));
  #closing: Promise<void> | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  readonly #scheduler: Scheduler;
  #halted = false;
  #recheckTimer: NodeJS.Timeout | undefined;
  #recheckTime: number | undefined;
  #haltChecks: Promise<void> = Promise.resolve();
  #haltReason: string | undefined;
  #nextRunWrites: Promise<void> = Promise.resolve();
  /** Turn progress as it happens: `start`'s terminal lines, the HTTP API's /events, `tail`. */
  readonly events = new DaemonEvents();
  readonly #notifier: ReplyNotifier;
  readonly #dashboard: DashboardWriter | undefined;
  /** The last turns, newest last, for the dashboard. */
  #recentTurns: TurnLogEntry[] = [];
  #api: RunningApi | undefined;

  constructor(options: DaemonOptions) {
    this.root = path.resolve(options.vault);
    this.config = { ...DEFAULT_CONFIG, ...options.config, policy: { ...DEFAULT_CONFIG.policy, ...options.config?.policy } };
    const logger = options.logger ?? createLogger();
    const clock = options.clock ?? systemClock;
    const redact = createRedactor();
    const noteErrors = new Map<string, string>();
    const store = new NoteStore(this.root, {
      redact,
      // Every `error:` Scriptorium sets or clears, for the dashboard's "needs attention".
      onUpdate: (vaultPath, updates) => {
        if (!('error' in updates)) return;
        if (typeof updates.error === 'string') noteErrors.set(vaultPath, updates.error);
        else noteErrors.delete(vaultPath);
        this.#dashboard?.changed();
      },
    });
    const registry = new AgentRegistry();
    this.#notifier = new ReplyNotifier({
      root: this.root,
      store,
      registry,
      policy: this.config.policy,
      clock,
      logger,
      retry: { maxAttempts: this.config.notifyMaxAttempts, baseDelayMs: this.config.notifyBaseDelayMs },
    });
    this.#ctx = {
      root: this.root,
      store,
      registry,
      lanes: new Lanes(this.config.concurrency, () => this.#statusChanged()),
      runner:
        options.runner ??
        createClaudeRunner({
          claudePath: this.config.claudePath,
          postResultGraceMs: this.config.postResultGraceMs,
          killGraceMs: this.config.killGraceMs,
        }),
      clock,
      logger,
      config: this.config,
      active: new Map(),
      stopSignal: this.#abort.signal,
      cancels: new Map(),
      graces: new Map(),
      threads: new Set(),
      index: new Map(),
      groupTimers: new Map(),
      sentByAgent: new Map(),
      templateFolders: templateFolders(this.root),
      deferInbound: null,
      startingUp: true,
      ledger: new Ledger(),
      journal: new Journal(this.root, { redact }),
      holds: new Map(),
      recheckAt: (when) => this.#recheckAt(when),
      onTurnFinished: (entry) => {
        this.#ctx.ledger.record(entry);
        this.#recentTurns = [...this.#recentTurns.slice(-(RECENT_TURNS - 1)), entry];
        appendTurn(this.root, redactDeep(entry, redact)).catch((error) => logger.error('could not record the turn', { error: errorMessage(error) }));
        options.onTurnFinished?.(entry);
        this.#statusChanged();
      },
      events: this.events,
      notifier: this.#notifier,
      noteErrors,
    };
    if (this.config.dashboard) {
      this.#dashboard = new DashboardWriter({ store, logger, snapshot: () => this.dashboardSnapshot(), minIntervalMs: this.config.dashboardIntervalMs });
      // Each turn's start and end shows on the dashboard.
      this.events.subscribe((event) => {
        if (event.type === 'turn-started' || event.type === 'turn-finished') this.#dashboard?.changed();
      });
    }
    this.#scheduler = new Scheduler({
      clock,
      logger,
      state: {
        load: async () => {
          const raw = await store.readIfExists(SCHEDULE_FILE);
          try {
            return raw ? (JSON.parse(raw) as ScheduleState) : {};
          } catch {
            logger.warn('schedule state unreadable; starting afresh', { file: SCHEDULE_FILE });
            return {};
          }
        },
        save: async (state) => void (await store.write(SCHEDULE_FILE, JSON.stringify(state, null, 2) + '\n')),
      },
      fire: (fire) => writeScheduledMessage(this.#ctx, fire),
      isHalted: () => this.#halted,
      // One write at a time, in the order reported: otherwise a tick's report written after a later edit's
      // "no next run" leaves a stale next_run on the note.
      onNextRun: (agent, next) => void (this.#nextRunWrites = this.#nextRunWrites.then(() => this.#showNextRun(agent, next))),
    });
    this.#watcher = new VaultWatcher({
      root: this.root,
      usePolling: this.config.usePolling,
      onNote: (vaultPath, event, whole) => this.#onNote(vaultPath, event, whole),
      onError: (error) => logger.error('watcher error', { error: errorMessage(error) }),
    });
  }

  get logger(): Logger {
    return this.#ctx.logger;
  }

  start(): Promise<void> {
    // A start that fails watches nothing: watching() (and idle()) must not wait for it.
    this.#started ??= this.#start().catch((error: unknown) => {
      this.#watchingNow();
      throw error;
    });
    return this.#started;
  }

  /**
   * Resolves once every folder is watched, some time after `start()` (chokidar sets up its watches after
   * the start-up read; a change made meanwhile is taken in then, not lost). Also when the daemon stops first.
   */
  watching(): Promise<void> {
    return this.#watchingPromise;
  }

  async #start(): Promise<void> {
    this.#releaseLock = await acquireLock(this.root);
    await this.#ctx.store.removeStaleTemp();
    this.#startedAt = isoLocal(this.#ctx.clock.now());
    const recorded = await readRecentTurns(this.root, 20_000);
    for (const entry of recorded) this.#ctx.ledger.record(entry);
    this.#recentTurns = recorded.slice(-RECENT_TURNS);
    await this.#checkHalt();
    if (this.#closing) return; // stopped while starting: nothing more is opened
    // The vault is read here rather than reported by chokidar's initial scan, which takes ~4× as long as
    // reading the notes' bytes. chokidar starts last, reporting changes only (started sooner, its stats
    // and readdirs fill libuv's thread pool and the main thread, and every step here takes several times
    // as long); what changed before its folder was watched is looked at once it watches them all (#catchUp).
    this.#ctx.logger.debug('reading the vault');
    const found = await readVaultAtStart(this.root, this.#ctx.logger, () => this.#closing !== undefined);
    if (this.#closing) return;
    const candidates = found.filter((note) => note.mayBeOurs);
    this.#ctx.logger.debug('vault read', { notes: found.length, mayBeOurs: candidates.length });
    // What each note said when read is what the daemon knows of it: a first write of ours over a note
    // the user has edited since (a status, a next_run) then counts as their edit, not as our own write,
    // and the look after chokidar is ready reads it again. (Taken in here with that knowledge ignored.)
    for (const note of candidates) if (note.raw !== undefined) this.#ctx.store.ownWrites.remember(note.path, note.raw);
    // The text read, unless the note changed since (then intake reads it again).
    const takeIn = (note: StartupNote) =>
      this.#process(note.path, { raw: stillAsRead(this.#ctx.store.absolute(note.path), note), ignoreOwnWrite: true });
    // Messages wait until every definition has been read, so they know their agents.
    const deferred: string[] = [];
    this.#ctx.deferInbound = deferred;
    // In path order: definitions claim their names in that order.
    for (const note of candidates) await takeIn(note);
    this.#ctx.logger.debug('start-up notes handled', { notes: candidates.length });
    // Definitions are known: finish or re-run what a crash cut off, before messages are taken in.
    await recoverFromJournal(this.#ctx);
    this.#ctx.deferInbound = null;
    // No watcher yet: a HALT.md made since the first look is seen before anything starts.
    await this.#checkHalt();
    const byPath = new Map(candidates.map((note) => [note.path, note]));
    for (const vaultPath of deferred) await takeIn(byPath.get(vaultPath) ?? { path: vaultPath, mayBeOurs: true });
    this.#ctx.startingUp = false;
    if (this.#closing) return;
    await this.#checkHalt();
    await this.#scheduler.start(this.#ctx.registry.definitions());
    // Stopped while starting (Ctrl-C during the scan): nothing more is opened.
    if (this.config.api && !this.#closing) {
      this.#api = await startHttpApi(this.#ctx, this.config.api, { health: () => this.#health(), status: () => this.#statusObject() });
      // close() may have come while the API was starting: it has already run its API step.
      if (this.#closing) await this.#api.close();
    }
    if (this.#closing) return;
    const read = new Map(found.map((note) => [note.path, note.version]));
    void this.#watcher.start(false).then(() => this.#catchUp(read)).finally(() => this.#watchingNow());
    this.#ctx.logger.debug('ready', { notes: found.length, agents: this.#ctx.registry.names().length });
    this.#statusChanged();
  }

  #health(): Record<string, unknown> {
    return { ok: true, pid: process.pid, vault: this.root, startedAt: this.#startedAt, halted: this.#halted };
  }

  /** The API's `/status`: what `status.json` holds, plus the last turns. */
  #statusObject(): Record<string, unknown> {
    return {
      pid: process.pid,
      vault: this.root,
      startedAt: this.#startedAt,
      halted: this.#halted,
      haltReason: this.#haltReason,
      concurrency: this.config.concurrency,
      agents: this.agentStatuses(),
      recentTurns: [...this.#recentTurns].reverse(),
    };
  }

  /** What `Dashboard.md` shows, from the daemon's state now. */
  dashboardSnapshot(): DashboardSnapshot {
    const now = this.#ctx.clock.now();
    const { ledger, registry } = this.#ctx;
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    const agents: DashboardAgent[] = this.agentStatuses().map((a) => {
      // Over a budget shows as soon as it is spent, not only once a message waits on it.
      const lookup = registry.lookup(a.name);
      const hold = a.hold ?? (lookup.kind === 'ok' ? budgetHold(ledger, lookup.definition, now)?.reason : undefined);
      const state: DashboardAgent['state'] =
        a.state === 'error' ? 'error' : this.#halted ? 'halted' : a.enabled === false ? 'disabled' : hold ? 'over budget' : a.state;
      return {
        name: a.name,
        path: a.path,
        state,
        queued: a.queued,
        detail: a.error ?? hold,
        lastRun: this.#recentTurns.findLast((t) => t.agent === a.name)?.at ?? a.lastRun,
        nextRun: a.nextRun,
        costToday: ledger.spentToday(a.name, now),
        costMonth: ledger.spentThisMonth(a.name, now),
      };
    });
    const inError = [...this.#ctx.noteErrors]
      .filter(([p]) => this.#ctx.index.get(p)?.role === 'inbound' || registry.has(p))
      .map(([p, reason]) => ({ path: p, reason }))
      .sort((a, b) => a.path.localeCompare(b.path));
    return {
      halted: this.#halted,
      haltReason: this.#haltReason,
      agents,
      turns: [...this.#recentTurns].reverse(),
      errors: inError,
      totals: {
        costToday: ledger.totalSince(midnight),
        costMonth: ledger.totalSince(new Date(now.getFullYear(), now.getMonth(), 1)),
        turnsToday: ledger.turnsSince(midnight),
      },
    };
  }

  #onNote(vaultPath: string, event: 'add' | 'change' | 'unlink', whole = false): void {
    if (this.#closing) return;
    if (vaultPath.toLowerCase() === HALT_NOTE.toLowerCase()) {
      void this.#checkHalt();
      return;
    }
    // A note this process wrote (a status, a reply, a thread) is most likely its own write coming back:
    // the settle timer merges a turn's burst of writes into one look, as before.
    if (whole && !this.#settleTimers.has(vaultPath) && !this.#ctx.store.ownWrites.hasWritten(vaultPath)) {
      // Renamed into place, so complete: no need to wait for quiet, once that is confirmed.
      const seen = performance.now();
      const timer = setTimeout(() => {
        void this.#confirmWhole(vaultPath, seen).catch(() => null).then((whole) => {
          if (this.#settleTimers.get(vaultPath) !== timer) return; // a newer event took over
          this.#settleTimers.delete(vaultPath);
          if (whole === null) {
            this.#onNote(vaultPath, event, false);
            return;
          }
          this.#startGrace(vaultPath, seen, whole.version);
          void this.#process(vaultPath, { wholeVersion: whole.version, raw: whole.raw });
        });
      }, 0);
      this.#settleTimers.set(vaultPath, timer);
      return;
    }
    // Wait until the note has been quiet for a moment: an editor may be writing it in pieces.
    clearTimeout(this.#settleTimers.get(vaultPath));
    this.#settleTimers.set(
      vaultPath,
      setTimeout(() => {
        this.#settleTimers.delete(vaultPath);
        void this.#process(vaultPath);
      }, this.config.settleMs),
    );
  }

  /**
   * chokidar now watches every folder. A note written (or removed) after the start-up read reached it and
   * before its folder was watched was seen by neither: the vault is walked once more for those.
   */
  async #catchUp(read: Map<string, string | undefined>): Promise<void> {
    if (this.#closing) return;
    try {
      const changes = await notesChangedSince(this.root, read);
      if (this.#closing) return;
      for (const change of changes) this.#onNote(change.path, change.event);
      this.#ctx.logger.info('watching vault', { vault: this.root, agents: this.#ctx.registry.names().join(', ') || '(none)', lookedAgain: changes.length });
    } catch (error) {
      this.#ctx.logger.error('could not look over the vault after the start', { error: errorMessage(error) });
    }
  }

  /**
   * A note announced by a rename alone may still be a file created in place whose writes come right after
   * (Node's own writeFile opens, then writes). It is read, then every file event that happened before
   * that read is let in (`setImmediate`: after the event loop's poll phase); a write in place among them,
   * a file that changed meanwhile or an empty one means it was not whole. Returns its version and the
   * text read (intake need not read it again), or null.
   */
  async #confirmWhole(vaultPath: string, seen: number): Promise<{ version: string; raw: string } | null> {
    // A link is refused by intake without being read (it may point anywhere, a device included).
    if (await this.#ctx.store.isSymlink(vaultPath)) return null;
    const before = await this.#ctx.store.version(vaultPath);
    const raw = await this.#ctx.store.readIfExists(vaultPath);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const after = await this.#ctx.store.version(vaultPath);
    if (!raw || before === null || before !== after || this.#watcher.writtenSince(vaultPath, seen)) return null;
    return { version: after, raw };
  }

  /**
   * A note renamed into place is taken in at once, but its grace runs on (`wholeGraceMs`, 10 ms; not the
   * settle time): a script renaming a note and appending to it right after (`mv … && echo … >>`) has its
   * whole text run. Meanwhile the turn's process starts (Claude Code loads for a few hundred ms before it
   * reads its prompt), the note is not written by us (NoteStore.holdUpdates), and the prompt goes to the
   * process when the grace is over, read again if the note was written to. A write later than that is an
   * edit made after the message was taken, as with any note.
   */
  #startGrace(vaultPath: string, seen: number, version: string): void {
    const grace = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, seen + this.config.wholeGraceMs - performance.now()))).then(
      async () => this.#watcher.writtenSince(vaultPath, seen) || (await this.#ctx.store.version(vaultPath)) !== version,
    );
    this.#ctx.store.holdUpdates(vaultPath, grace);
    this.#ctx.graces.set(vaultPath, grace);
    void grace.finally(() => {
      if (this.#ctx.graces.get(vaultPath) === grace) this.#ctx.graces.delete(vaultPath);
    });
  }

  /** One note at a time per path; an event arriving meanwhile is handled after. */
  #process(
    vaultPath: string,
    options: { cascade?: boolean; wholeVersion?: string; raw?: string; ignoreOwnWrite?: boolean } = {},
  ): Promise<void> {
    const { cascade = true, wholeVersion, raw, ignoreOwnWrite } = options;
    const previous = this.#inFlight.get(vaultPath) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (this.#closing) return;
      try {
        // Its reads need not wait for the note to be quiet (see NoteStore.trustWhole).
        if (wholeVersion) this.#ctx.store.trustWhole(vaultPath, wholeVersion);
        const kind = await handleNote(this.#ctx, this.#ctx.index, vaultPath, { raw, ignoreOwnWrite });
        if (kind === 'definition' && cascade && !this.#ctx.deferInbound) {
          // A name may have been freed or taken: the other definitions' errors are read again. Not awaited:
          // two definitions saved together would otherwise each wait for the other.
          for (const other of this.#ctx.registry.paths()) if (other !== vaultPath) void this.#process(other, { cascade: false });
          await this.#recheckWaiting();
          await this.#scheduler.sync(this.#ctx.registry.definitions());
        }
      } catch (error) {
        this.#ctx.logger.error('note handling failed', { note: vaultPath, error: errorMessage(error) });
      }
    });
    this.#inFlight.set(vaultPath, next);
    void next.finally(() => {
      if (this.#inFlight.get(vaultPath) === next) this.#inFlight.delete(vaultPath);
    });
    return next;
  }

  /** One timer for the earliest moment a held message may run again. */
  #recheckAt(when: Date): void {
    const at = when.getTime();
    if (this.#recheckTime !== undefined && this.#recheckTime <= at) return;
    clearTimeout(this.#recheckTimer);
    this.#recheckTime = at;
    const delay = Math.max(0, at - this.#ctx.clock.now().getTime());
    this.#recheckTimer = setTimeout(() => {
      this.#recheckTime = undefined;
      void this.#recheckWaiting();
    }, Math.min(delay + 1_000, 60_000 * 60));
    this.#recheckTimer.unref?.();
  }

  /** A definition changed: messages waiting for that agent (disabled, say) get another look. */
  async #recheckWaiting(): Promise<void> {
    this.#statusChanged();
    for (const [vaultPath, entry] of this.#ctx.index) {
      if (entry.role === 'inbound' && !this.#ctx.active.has(vaultPath)) {
        const raw = await this.#ctx.store.readIfExists(vaultPath);
        if (raw !== null && isQueued(raw)) {
          // Its bytes are most likely Scriptorium's own `status: queued` write, which the intake drops as
          // "our own write": forget that, or the message would never be looked at again.
          this.#ctx.store.ownWrites.forget(vaultPath);
          void this.#process(vaultPath);
        }
      }
    }
  }

  /**
   * `HALT.md` at the vault root stops every new turn and every fire; running turns finish. Its mere
   * presence halts: an unreadable or empty HALT counts. Removing it goes on with what waited.
   */
  #checkHalt(): Promise<void> {
    // One look at a time: HALT.md created and deleted in quick succession must end in the last state.
    this.#haltChecks = this.#haltChecks.then(() => this.#applyHalt()).catch((error) => {
      this.#ctx.logger.error('halt check failed', { error: errorMessage(error) });
    });
    return this.#haltChecks;
  }

  async #applyHalt(): Promise<void> {
    const raw = await this.#ctx.store.readIfExists(HALT_NOTE).catch(() => '');
    const halted = raw !== null || this.#ctx.store.exists(HALT_NOTE);
    if (halted === this.#halted) return;
    this.#halted = halted;
    if (halted) {
      this.#haltReason = haltReason(raw ?? '');
      this.#ctx.lanes.pause();
      this.#ctx.logger.warn('halted: no new turns until HALT.md is removed', { reason: this.#haltReason });
    } else {
      this.#haltReason = undefined;
      this.#ctx.lanes.resume();
      this.#ctx.logger.info('halt lifted: going on with what waited');
      await this.#scheduler.resumed();
    }
    this.events.emit({ type: 'halt', data: { halted, reason: this.#haltReason, at: isoLocal(this.#ctx.clock.now()) } });
    this.#statusChanged();
  }

  get halted(): boolean {
    return this.#halted;
  }

  /** `next_run` on the definition note, written only when it changes (and never when it does not). */
  async #showNextRun(agent: string, next: Date | null): Promise<void> {
    const lookup = this.#ctx.registry.lookup(agent);
    // An agent whose definition became invalid has no next run: its stale next_run goes too.
    const notePath = lookup.kind === 'ok' ? lookup.definition.path : lookup.kind === 'invalid' ? lookup.path : null;
    if (notePath === null) return;
    try {
      const raw = await this.#ctx.store.readIfExists(notePath);
      if (raw === null) return;
      const current = parseFrontmatter(raw).data.next_run;
      const wanted = next ? isoLocal(next) : undefined;
      if ((current ?? undefined) === wanted || (lookup.kind !== 'ok' && wanted !== undefined)) return;
      await this.#ctx.store.update(notePath, { next_run: wanted });
    } catch (error) {
      this.#ctx.logger.warn('could not write next_run', { agent, error: errorMessage(error) });
    }
    this.#statusChanged();
  }

  /** Agent states for `scriptorium status`: idle / working / queued:N. */
  agentStatuses(): AgentStatus[] {
    const { registry, lanes } = this.#ctx;
    const nextRuns = this.#scheduler.nextRuns();
    const lastRuns = this.#scheduler.lastRuns();
    return registry.names().map((name) => {
      const lookup = registry.lookup(name);
      const queued = lanes.waiting(name);
      return {
        name,
        path: lookup.kind === 'ok' ? lookup.definition.path : lookup.kind === 'invalid' ? lookup.path : '',
        state: lookup.kind === 'invalid' ? 'error' : lanes.isRunning(name) ? 'working' : queued > 0 ? 'queued' : 'idle',
        queued,
        error: lookup.kind === 'invalid' ? lookup.problems.map((p) => `${p.field}: ${p.message}`).join('; ') : undefined,
        description: lookup.kind === 'ok' ? lookup.definition.description : undefined,
        mode: lookup.kind === 'ok' ? lookup.definition.mode : undefined,
        enabled: lookup.kind === 'ok' ? lookup.definition.enabled : undefined,
        hold: this.#ctx.holds.get(name),
        nextRun: nextRuns.get(name) ? isoLocal(nextRuns.get(name)!) : undefined,
        lastRun: lastRuns.has(name) ? isoLocal(new Date(lastRuns.get(name)!)) : undefined,
      };
    });
  }

  #statusChanged(): void {
    if (this.#startedAt) this.#dashboard?.changed();
    if (this.#statusTimer || !this.#startedAt) return;
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      void this.#writeStatus();
    }, 200);
  }

  async #writeStatus(): Promise<void> {
    try {
      await writeStatus(this.#ctx.store, {
        pid: process.pid,
        vault: this.root,
        startedAt: this.#startedAt,
        updatedAt: isoLocal(this.#ctx.clock.now()),
        halted: this.#halted,
        haltReason: this.#haltReason,
        concurrency: this.config.concurrency,
        agents: this.agentStatuses(),
      });
    } catch (error) {
      this.#ctx.logger.warn('could not write status file', { error: errorMessage(error) });
    }
  }

  /**
   * Resolves when nothing is pending: no note waiting to settle or being read, no message queued or
   * running. A note written after this resolves is, of course, not covered.
   */
  async idle(): Promise<void> {
    // The look over the vault once every folder is watched may still find work.
    if (this.#started) await this.#watchingPromise;
    for (;;) {
      if (this.#settleTimers.size > 0) await new Promise((resolve) => setTimeout(resolve, this.config.settleMs));
      else if (this.#inFlight.size > 0) await Promise.allSettled(this.#inFlight.values());
      else if (this.#ctx.lanes.runningCount > 0) await this.#ctx.lanes.idle();
      // Halted, messages wait by design: that is as idle as it gets.
      else if (this.#ctx.active.size > 0 && !this.#ctx.lanes.paused) await this.#ctx.lanes.idle();
      else if (this.#notifier.busy) await this.#notifier.idle();
      else return;
    }
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.graceMs ?? this.config.shutdownGraceMs);
    return this.#closing;
  }

  /** Stop running turns now (a second Ctrl-C). */
  forceStop(): void {
    this.#abort.abort();
  }

  async #close(graceMs: number): Promise<void> {
    // A start under way first comes to a stop (it checks #closing), so nothing it opens is left open.
    await this.#started?.catch(() => {});
    this.#watchingNow();
    const log = this.#ctx.logger;
    const steps: Array<[string, () => Promise<void> | void]> = [
      ['http api', async () => await this.#api?.close()],
      ['watcher', () => this.#watcher.close()],
      ['settle timers', () => this.#settleTimers.forEach(clearTimeout)],
      ['group timers', () => this.#ctx.groupTimers.forEach(clearTimeout)],
      ['recheck timer', () => clearTimeout(this.#recheckTimer)],
      ['scheduler', () => this.#scheduler.close()],
      ['in-flight notes', async () => void (await Promise.allSettled(this.#inFlight.values()))],
      ['queue', () => this.#ctx.lanes.close()],
      [
        'running turns',
        async () => {
          if (this.#ctx.lanes.runningCount === 0) return;
          log.info('waiting for running turns', { running: this.#ctx.lanes.runningCount, graceMs });
          let timer: NodeJS.Timeout | undefined;
          const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
          const outcome = await Promise.race([this.#ctx.lanes.idle().then(() => 'idle' as const), graceOver]);
          clearTimeout(timer);
          if (outcome === 'timeout') {
            log.warn('stopping running turns', { running: this.#ctx.lanes.runningCount });
            this.#abort.abort();
            await this.#ctx.lanes.idle();
          }
        },
      ],
      ['webhooks', () => this.#notifier.close()],
      ['status', async () => {
        clearTimeout(this.#statusTimer);
        if (this.#startedAt) await this.#writeStatus();
      }],
      ['dashboard', async () => {
        await this.#dashboard?.close();
        if (this.#startedAt) await this.#dashboard?.writeNow();
      }],
      ['lock', async () => await this.#releaseLock?.()],
    ];
    // Every step runs even if an earlier one fails.
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        log.error('shutdown step failed', { step: name, error: errorMessage(error) });
      }
    }
    log.info('stopped');
  }
}

