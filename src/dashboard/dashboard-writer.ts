import type { Logger } from '../util/logger.ts';
import { errorMessage } from '../util/errors.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { roleOf } from '../vault/tags.ts';
import { storageErrorCode } from '../vault/write-health.ts';
import { DASHBOARD_NOTE, renderDashboard, type DashboardSnapshot } from './render.ts';

export interface DashboardWriterOptions {
  store: NoteStore;
  logger: Logger;
  snapshot: () => DashboardSnapshot;
  /** At most one write per this many ms, however busy the daemon is (Obsidian re-renders on each write). */
  minIntervalMs?: number;
}

/**
 * Keeps `Dashboard.md` true to the daemon's state: `changed()` asks for a look, at most one render per
 * interval, and the note is written only when its text differs from what is on disk. A `Dashboard.md` the
 * user wrote themselves (not tagged `agent/dashboard`) is never overwritten.
 */
export class DashboardWriter {
  readonly #options: DashboardWriterOptions;
  readonly #interval: number;
  #timer: NodeJS.Timeout | undefined;
  #lastWrite = 0;
  #writing: Promise<void> = Promise.resolve();
  #refusedLogged = false;
  #closed = false;

  constructor(options: DashboardWriterOptions) {
    this.#options = options;
    this.#interval = options.minIntervalMs ?? 3_000;
  }

  changed(): void {
    if (this.#timer || this.#closed) return;
    const wait = Math.max(0, this.#lastWrite + this.#interval - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writing = this.#writing.then(() => this.writeNow());
    }, wait);
    this.#timer.unref?.();
  }

  /** Render and write if the text changed; resolves when done. Never throws. */
  async writeNow(): Promise<void> {
    const { store, logger } = this.#options;
    this.#lastWrite = Date.now();
    try {
      // Compared as it would be written (redacted), or a secret-looking text would rewrite it every time.
      const text = store.redact(renderDashboard(this.#options.snapshot()));
      const current = await store.readIfExists(DASHBOARD_NOTE);
      if (current === text) return;
      if (current !== null && !isOurs(current)) {
        if (!this.#refusedLogged) logger.warn('Dashboard.md is a note of yours (no agent/dashboard tag): not overwritten', { note: DASHBOARD_NOTE });
        this.#refusedLogged = true;
        return;
      }
      await store.write(DASHBOARD_NOTE, text);
    } catch (error) {
      // A full or read-only disk is said once (vault/write-health.ts), not at every refresh.
      logger[storageErrorCode(error) === undefined ? 'warn' : 'debug']('could not write the dashboard', { note: DASHBOARD_NOTE, error: errorMessage(error) });
    }
  }

  /** A last write with the final state (at shutdown), then no more. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    await this.#writing;
  }
}

function isOurs(raw: string): boolean {
  try {
    return roleOf(parseFrontmatter(raw).data.tags) === 'dashboard';
  } catch {
    return false;
  }
}
