import path from 'node:path';
import { realPathOf } from '../vault/real-path.ts';
import { DEFAULT_CONFIG, type DaemonConfig } from '../config/operator-config.ts';
import { startHttpApi, type RunningApi } from '../http/daemon-api.ts';
import type { Runner } from '../runner/types.ts';
import type { DashboardSnapshot } from '../dashboard/render.ts';
import type { DaemonEvents } from '../state/events.ts';
import { HALT_NOTE } from '../state/halt-note.ts';
import { acquireLock } from '../state/lock.ts';
import type { AgentStatus } from '../state/status-file.ts';
import type { TurnLogEntry } from '../state/turns-log.ts';
import { oldestFirst, visitTurnsSince } from '../state/turns-read.ts';
import { isoLocal, systemClock, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { createLogger, redactingLogger, type Logger } from '../util/logger.ts';
import type { Timers } from '../util/timers.ts';
import { createRedactor, type Redactor } from '../util/redact.ts';
import { readSecrets } from '../config/secrets.ts';
import { addConfigSecrets } from '../config/config-secrets.ts';
import { probeWrite } from '../vault/write-health.ts';
import { buildPieces, type Pieces } from './pieces.ts';
import { watchVaultFolder } from './vault-folder.ts';
import { catchUp, takeInVault, type StartupDeps } from './startup.ts';
import { RECENT_TURNS } from './status-view.ts';

export { HALT_NOTE };

export interface DaemonOptions {
  vault: string;
  config?: Partial<DaemonConfig>;
  runner?: Runner;
  clock?: Clock;
  logger?: Logger;
  /** Default: a new one with this process's environment; either way the config's secrets are added to it. */
  redact?: Redactor;
  /** Where the values of the config's `secrets` not in its `secrets_file` come from; default this process's environment. */
  env?: NodeJS.ProcessEnv;
  onTurnFinished?: (entry: TurnLogEntry) => void;
  /** The time and timers of the wait for a message written in place to be quiet (tests end it at will). */
  timers?: Timers;
}

/**
 * The composition root: watcher → intake → lanes → runner → notes (the pieces: ./pieces.ts). `start()`
 * resolves once the vault has been read and messages left waiting are queued, `watching()` once chokidar
 * watches every folder too; `close()` stops new turns, lets running ones finish within the grace period,
 * then stops them. Both are safe to call twice.
 */
export class Daemon {
  readonly root: string;
  readonly config: DaemonConfig;
  /** Turn progress as it happens: `start`'s terminal lines, the HTTP API's /events, `tail`. */
  readonly events: DaemonEvents;
  /** Applied to everything the daemon writes or says: notes and their names, logs, state files, the API. */
  readonly redact: Redactor;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #p: Pieces;
  readonly #abort = new AbortController();
  #startedAt = '';
  /** Every note found at start has been taken in: status.json and Dashboard.md are written from then on. */
  #vaultTaken = false;
  #releaseLock: (() => Promise<void>) | undefined;
  #started: Promise<void> | undefined;
  #watchingNow: () => void = () => {};
  readonly #watchingPromise = new Promise<void>((resolve) => (this.#watchingNow = resolve));
  #closing: Promise<void> | undefined;
  #api: RunningApi | undefined;
  /** Aborted as close() begins: a start waiting for the vault to become writable stops waiting. */
  readonly #closeBegun = new AbortController();
  #stopVaultWatch: () => void = () => {};
  #stoppedItself: (reason: string) => void = () => {};
  readonly #stoppedItselfPromise = new Promise<string>((resolve) => (this.#stoppedItself = resolve));

  constructor(options: DaemonOptions) {
    // Resolved once: the vault folder may be a symbolic link (users do that), and every check of where a
    // path lies compares real paths (vault/real-path.ts).
    this.root = realPathOf(path.resolve(options.vault));
    this.config = { ...DEFAULT_CONFIG, ...options.config, policy: { ...DEFAULT_CONFIG.policy, ...options.config?.policy } };
    this.redact = options.redact ?? createRedactor();
    addConfigSecrets(this.redact, this.config);
    // Read once, now: a secret with no value stops the start with a sentence naming it (cli/start.ts).
    const secretValues = readSecrets(this.config.policy.secrets ?? {}, this.config.secretsFile, options.env ?? process.env, this.root);
    for (const [name, value] of secretValues) this.redact.add(name, value);
    // Whatever logger it was given: that logger's own redactor need not know the config's secrets.
    this.#logger = redactingLogger(options.logger ?? createLogger({ redact: this.redact }), this.redact);
    this.#clock = options.clock ?? systemClock;
    this.#p = buildPieces({
      root: this.root,
      rootAsGiven: path.resolve(options.vault),
      config: this.config,
      clock: this.#clock,
      logger: this.#logger,
      redact: this.redact,
      secretValues,
      runner: options.runner,
      stopSignal: this.#abort.signal,
      stopping: () => this.#closing !== undefined,
      startedAt: () => this.#startedAt,
      vaultTaken: () => this.#vaultTaken,
      onTurnFinished: options.onTurnFinished,
      dashboardSnapshot: () => this.dashboardSnapshot(),
      timers: options.timers,
    });
    this.events = this.#p.events;
  }

  get logger(): Logger {
    return this.#logger;
  }

  get halted(): boolean {
    return this.#p.halt.halted;
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

  /**
   * Resolves with a sentence when the daemon stopped on its own (its vault folder was removed): whoever
   * started it exits non-zero. Never resolves otherwise.
   */
  stoppedItself(): Promise<string> {
    return this.#stoppedItselfPromise;
  }

  async #start(): Promise<void> {
    const p = this.#p;
    await this.#untilWritable();
    if (this.#closing) return;
    this.#releaseLock = await acquireLock(this.root);
    this.#stopVaultWatch = watchVaultFolder(this.root, this.config.vaultCheckMs, () => this.#vaultGone());
    await p.store.removeStaleTemp();
    await p.channel.start();
    this.#startedAt = isoLocal(this.#clock.now());
    // The budgets count this month (the vault's monthly cap, the dashboard's month column; today is in
    // it) and the last hour (max_runs_per_hour), and the dashboard shows the last few turns: nothing older
    // is read: this month's file of .scriptorium/turns/, and last month's end when the hour or the last
    // few turns reach into it, however long the vault has lived.
    const now = this.#clock.now();
    const since = Math.min(new Date(now.getFullYear(), now.getMonth(), 1).getTime(), now.getTime() - 3_600_000);
    // Turn by turn, newest first: only the ledger's own record of each and the newest few are kept.
    const newest: Array<{ entry: TurnLogEntry; at: number }> = [];
    await visitTurnsSince(this.root, new Date(since), RECENT_TURNS, (entry, at) => {
      p.ledger.record(entry);
      if (newest.length < RECENT_TURNS) newest.push({ entry, at });
    });
    p.view.addTurns(...oldestFirst(newest));
    // Already over a vault cap: said once, and looked at again when the day or month is over.
    p.vaultCap.check();
    await p.halt.check();
    if (this.#closing) return; // stopped while starting: nothing more is opened
    const startup = this.#startupDeps();
    // chokidar starts last, reporting changes only: started sooner, its stats and readdirs fill libuv's
    // thread pool and the main thread, and every step here takes several times as long. What changed
    // before its folder was watched is looked at once it watches them all (catchUp).
    const read = await takeInVault(startup);
    if (read === null || this.#closing) return;
    this.#vaultTaken = true;
    await p.halt.check();
    await p.scheduler.start(p.registry.definitions());
    // Stopped while starting (Ctrl-C during the read): nothing more is opened.
    if (this.config.api && !this.#closing) {
      this.#api = await startHttpApi({ ...p, root: this.root, clock: this.#clock, logger: this.#logger, views: { health: () => p.view.health(), status: () => p.view.apiStatus() } }, this.config.api);
      // close() may have come while the API was starting: it has already run its API step.
      if (this.#closing) await this.#api.close();
    }
    if (this.#closing) return;
    void p.watcher
      .start(false)
      .then(() => catchUp(startup, read, () => p.registry.names()))
      .finally(() => this.#watchingNow());
    this.#logger.debug('ready', { notes: read.size, agents: p.registry.names().length });
    p.status.changed();
  }

  /**
   * A read-only or full vault at start: said once, then the daemon waits (probing with backoff) until it
   * can write, rather than failing or running turns whose notes could not be written.
   */
  async #untilWritable(): Promise<void> {
    const { health } = this.#p;
    for (let attempt = 0; !this.#closeBegun.signal.aborted; attempt++) {
      try {
        await probeWrite(this.root);
        health.succeeded();
        return;
      } catch (error) {
        if (!health.failed(error, '.scriptorium/')) throw error;
        if (attempt === 0) this.#logger.warn('waiting until the vault can be written', { vault: this.root });
      }
      await pause(Math.min(this.config.writeRetryBaseMs * 2 ** attempt, this.config.writeRetryMaxMs), this.#closeBegun.signal);
    }
  }

  /** The vault folder was removed under the daemon: nothing it does can land anywhere, so it stops. */
  #vaultGone(): void {
    if (this.#closing) return;
    const reason = `the vault folder ${this.root} was removed while the daemon ran`;
    this.#logger.error('the vault folder was removed; stopping', { vault: this.root });
    void this.close({ graceMs: 0 }).finally(() => this.#stoppedItself(reason));
  }

  #startupDeps(): StartupDeps {
    const p = this.#p;
    return {
      root: this.root,
      store: p.store,
      logger: this.#logger,
      intake: p.intake,
      events: p.noteEvents,
      recovery: p.recovery,
      checkHalt: () => p.halt.check(),
      stopping: () => this.#closing !== undefined,
      clock: this.#clock,
      settledWhileRunning: p.settledWhileRunning,
    };
  }

  /** Agent states for `scriptorium status`: idle / working / queued:N. */
  agentStatuses(): AgentStatus[] {
    return this.#p.view.agentStatuses();
  }

  /** What `Dashboard.md` shows, from the daemon's state now. */
  dashboardSnapshot(): DashboardSnapshot {
    return this.#p.view.dashboard();
  }

  /**
   * Resolves when nothing is pending: no note waiting to settle or being read, no message queued or
   * running. A note written after this resolves is, of course, not covered.
   */
  async idle(): Promise<void> {
    const { noteEvents, lanes, active, notifier } = this.#p;
    // The look over the vault once every folder is watched may still find work.
    if (this.#started) await this.#watchingPromise;
    for (;;) {
      // A message waiting for quiet_for counts too: it is pending work. (Polled: the wait may be put off.)
      if (noteEvents.settling > 0) await new Promise((resolve) => setTimeout(resolve, Math.max(this.config.settleMs, 10)));
      else if (noteEvents.handling().length > 0) await Promise.allSettled(noteEvents.handling());
      else if (lanes.runningCount > 0) await lanes.idle();
      // Halted, messages wait by design: that is as idle as it gets.
      else if (active.size > 0 && !lanes.paused) await lanes.idle();
      else if (notifier.busy) await notifier.idle();
      else return;
    }
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closeBegun.abort();
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
    const log = this.#logger;
    const p = this.#p;
    const steps: Array<[string, () => Promise<void> | void]> = [
      ['http api', async () => await this.#api?.close()],
      ['watcher', () => p.watcher.close()],
      ['settle timers', () => p.noteEvents.close()],
      ['group timers', () => p.callbacks.close()],
      ['recheck timer', () => p.rechecks.close()],
      ['vault folder check', () => this.#stopVaultWatch()],
      // Notes still waiting for the disk: the journal has their results, and the next start writes them.
      ['note write retries', () => p.writeRetries.close()],
      ['scheduler', () => p.scheduler.close()],
      ['in-flight notes', async () => void (await Promise.allSettled(p.noteEvents.handling()))],
      ['queue', () => p.lanes.close()],
      // Approvals still waiting are denied (the turns' lines close), so their turns can end within the grace.
      ['turn channel', () => p.channel.close()],
      ['running turns', () => this.#stopTurns(graceMs)],
      ['webhooks', () => p.notifier.close()],
      ['status', () => p.status.close()],
      [
        'dashboard',
        async () => {
          await p.dashboard?.close();
          if (this.#vaultTaken) await p.dashboard?.writeNow();
        },
      ],
      // What settled since the last look goes into the notes index, before another start may rewrite it.
      ['notes index', () => p.settledWhileRunning.close()],
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

  /** Running turns get `graceMs` to finish; then they are stopped. */
  async #stopTurns(graceMs: number): Promise<void> {
    const { lanes } = this.#p;
    if (lanes.runningCount === 0) return;
    this.#logger.info('waiting for running turns', { running: lanes.runningCount, graceMs });
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([lanes.idle().then(() => 'idle' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#logger.warn('stopping running turns', { running: lanes.runningCount });
      this.#abort.abort();
      await lanes.idle();
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
