import type { DashboardWriter } from '../dashboard/dashboard-writer.ts';
import { STATUS_FILE } from '../state/status-file.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { storageErrorCode } from '../vault/write-health.ts';
import type { StatusView } from './status-view.ts';

/** Wait this long after a change before writing status.json: a burst of changes makes one write. */
const STATUS_DELAY_MS = 200;
/**
 * And no more than this many bytes of status.json a second: each write is the whole file (fsynced), and
 * with a thousand agents defined that is 200 KB, so a busy daemon would write a megabyte a second of which
 * a few lines changed. A vault with a few dozen agents keeps the 200 ms; one with a thousand is written
 * every two seconds or so.
 */
const STATUS_BYTES_PER_SECOND = 100_000;

/**
 * Keeps `.scriptorium/status.json` and `Dashboard.md` up to date once the daemon has started: `changed()`
 * asks for a write, at most one per STATUS_DELAY_MS, or longer for a large file (the dashboard has its own
 * pace).
 */
export class StatusWriter {
  readonly #store: NoteStore;
  readonly #logger: Logger;
  readonly #view: StatusView;
  readonly #dashboard: DashboardWriter | undefined;
  readonly #started: () => boolean;
  #timer: NodeJS.Timeout | undefined;
  /** The last write's size in bytes (UTF-16 units: close enough for pacing). */
  #lastLength = 0;

  constructor(options: { store: NoteStore; logger: Logger; view: StatusView; dashboard: DashboardWriter | undefined; started: () => boolean }) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#view = options.view;
    this.#dashboard = options.dashboard;
    this.#started = options.started;
  }

  changed(): void {
    if (!this.#started()) return;
    this.#dashboard?.changed();
    if (this.#timer) return;
    const delay = Math.max(STATUS_DELAY_MS, (this.#lastLength / STATUS_BYTES_PER_SECOND) * 1000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.writeNow();
    }, delay);
  }

  async writeNow(): Promise<void> {
    try {
      const text = this.#view.statusText();
      this.#lastLength = text.length;
      await this.#store.write(STATUS_FILE, text);
    } catch (error) {
      // A full or read-only disk is said once (vault/write-health.ts), not at every change of status.
      this.#logger[storageErrorCode(error) === undefined ? 'warn' : 'debug']('could not write status file', { error: errorMessage(error) });
    }
  }

  /** The last status.json, as the daemon stops. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#started()) await this.writeNow();
  }
}
