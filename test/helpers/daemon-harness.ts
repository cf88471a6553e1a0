import type { DaemonConfig } from '../../src/config/operator-config.ts';
import type { Clock } from '../../src/util/clock.ts';
import type { Timers } from '../../src/util/timers.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import type { TurnLogEntry } from '../../src/state/turns-log.ts';
import type { FrontmatterData } from '../../src/vault/frontmatter.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { FAKE_CLAUDE, useFakeClaude, type FakeClaude } from './fake-claude-env.ts';
import { createTempVault, type TempVault } from './temp-vault.ts';
import { PATIENCE_MS, waitFor } from './wait-for.ts';

/** Short but safe timings for a two-core machine running test files in parallel. */
export const TEST_CONFIG: Partial<DaemonConfig> = {
  claudePath: FAKE_CLAUDE,
  settleMs: 50,
  // A message written in place waits no longer than any other note: the tests of the quiet wait set
  // their own (see test/integration/quiet-for.test.ts).
  quietForMs: 50,
  postResultGraceMs: 300,
  killGraceMs: 300,
  shutdownGraceMs: 5_000,
  retryBaseMs: 100,
};

export type MemoryLogger = ReturnType<typeof createMemoryLogger>;

/**
 * A real daemon on a real temp vault, the real runner spawning the fake `claude`. The daemon is built but
 * not started, so a test can leave notes in the vault first; `close()` (in afterEach) stops the daemon,
 * puts the environment back and removes the vault.
 */
export interface Harness {
  vault: TempVault;
  daemon: Daemon;
  logger: MemoryLogger;
  fake: FakeClaude;
  /** Turns as the daemon reported them finished, with the wall-clock time it did (for ordering checks). */
  finished: Array<{ entry: TurnLogEntry; at: number }>;
  /** Starts the daemon and waits until it watches every folder (`Daemon.watching()`). */
  start(): Promise<void>;
  /** Log lines with this message (and, when given, these field values). */
  logs(msg: string, fields?: Record<string, unknown>): MemoryLogger['lines'];
  close(): Promise<void>;
}

export interface HarnessOptions {
  files?: Record<string, string>;
  config?: Partial<DaemonConfig>;
  env?: Record<string, string | undefined>;
  /** The daemon's time (the system's by default). */
  clock?: Clock;
  /** The quiet wait's time (test/helpers/manual-timers.ts): the test says when a note has been quiet. */
  timers?: Timers;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = await useFakeClaude(options.env);
  const vault = await createTempVault(options.files);
  const logger = createMemoryLogger();
  const finished: Harness['finished'] = [];
  const daemon = new Daemon({
    vault: vault.root,
    config: { ...TEST_CONFIG, ...options.config },
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    onTurnFinished: (entry) => finished.push({ entry, at: Date.now() }),
    ...(options.timers ? { timers: options.timers } : {}),
  });
  let closed = false;
  return {
    vault,
    daemon,
    logger,
    fake,
    finished,
    start: async () => {
      await daemon.start();
      await daemon.watching();
    },
    logs: (msg, fields = {}) =>
      logger.lines.filter((line) => line.msg === msg && Object.entries(fields).every(([k, v]) => line[k] === v)),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await daemon.close({ graceMs: 1_000 });
      } finally {
        await fake.restore();
        await vault.cleanup();
      }
    },
  };
}

/** Wait until a note's `status` is one of `statuses`; returns its fields. */
export async function waitForStatus(
  vault: TempVault,
  vaultPath: string,
  statuses: string | string[],
  timeoutMs = PATIENCE_MS,
): Promise<FrontmatterData> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  let last: FrontmatterData | undefined;
  try {
    await waitFor(
      async () => {
        last = await vault.fields(vaultPath);
        return wanted.includes(String(last.status));
      },
      { timeoutMs, what: `${vaultPath} status ${wanted.join(' or ')}` },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; the note's last fields: ${JSON.stringify(last)}`);
  }
  return last!;
}

/** `[[Outbox/x]]` → `Outbox/x.md` */
export function linkedPath(value: unknown): string {
  const match = typeof value === 'string' ? /^\[\[([^\]|#]+)/.exec(value) : null;
  if (!match) throw new Error(`expected a wikilink, found ${JSON.stringify(value)}`);
  return `${match[1]}.md`;
}

/**
 * Time that stands still at `startIso` until `release()`, then flows like the real one from there: a
 * daemon started with it is up at `startIso` however long its start took (a schedule a moment before its
 * slot is set up before the slot, on a busy machine too).
 */
export function heldClock(startIso: string): Clock & { release(): void } {
  const start = new Date(startIso).getTime();
  let releasedAt: number | undefined;
  return {
    now: () => new Date(releasedAt === undefined ? start : start + Date.now() - releasedAt),
    release: () => void (releasedAt ??= Date.now()),
  };
}

/** Time that flows like the real one, from `startIso` on (a daemon "started" at a chosen moment). */
export function clockFrom(startIso: string): Clock {
  const offset = new Date(startIso).getTime() - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}
