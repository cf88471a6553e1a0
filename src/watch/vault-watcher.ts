import { watch, type ChokidarOptions, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { isIgnoredPath, isMarkdown, toVaultPath } from '../vault/paths.ts';

export type NoteEvent = 'add' | 'change' | 'unlink';

export interface VaultWatcherOptions {
  root: string;
  /**
   * `whole`: the note appeared (or was replaced) by a rename, an atomic write as Scriptorium, sync tools
   * and most scripts do it, so it is complete now; a note written in place may not be (see `writtenSince`).
   */
  onNote: (vaultPath: string, event: NoteEvent, whole: boolean) => void;
  onError: (error: unknown) => void;
  /** Poll instead of native events (network drives, some containers). */
  usePolling?: boolean;
}

/**
 * chokidar's options for a vault (the benchmarks' bare-watcher baseline uses the very same). Dot-folders
 * and node_modules are not even descended into; only markdown files are watched.
 */
export function watchOptions(root: string, usePolling: boolean, reportExisting = true): ChokidarOptions {
  return {
    ignoreInitial: !reportExisting,
    persistent: true,
    followSymlinks: false,
    ...(usePolling ? { usePolling: true, interval: 250 } : {}),
    ignored: (absolute: string, stats?: { isFile(): boolean }) => {
      if (absolute === root) return false;
      const rel = toVaultPath(root, absolute);
      if (rel.startsWith('..')) return true;
      if (isIgnoredPath(rel)) return true;
      return stats?.isFile() === true && !isMarkdown(rel);
    },
  };
}

/**
 * chokidar over the vault, reporting markdown notes only. By default its initial scan reports every
 * existing note; the daemon reads the vault itself and asks for changes only (`reportExisting: false`).
 */
export class VaultWatcher {
  #watcher: FSWatcher | undefined;
  /**
   * When each note was last written in place, from the raw file events: a rename into place gives only a
   * `rename` event, a file written in place a `change` per write, and both come before chokidar's `add`.
   */
  readonly #writes = new Map<string, number>();
  /** Notes seen arriving (or leaving) by a rename or a creation since they were last reported. */
  readonly #renames = new Set<string>();
  /**
   * Raw events tell a rename from a write with inotify (checked on Linux: a rename into place is one
   * `rename`, each write in place a `change`). Polling has no raw events, and other platforms' are not
   * relied on: there every note waits to settle.
   */
  get #tellsRenames(): boolean {
    return process.platform === 'linux' && !this.options.usePolling;
  }

  private readonly options: VaultWatcherOptions;

  constructor(options: VaultWatcherOptions) {
    this.options = options;
  }

  /**
   * Resolves once every folder is watched (and, with `reportExisting`, every existing note reported).
   * Without it, a change made before a folder is watched goes unreported: the caller looks again.
   */
  start(reportExisting = true): Promise<void> {
    const { root } = this.options;
    const watcher = watch(root, watchOptions(root, this.options.usePolling ?? false, reportExisting));
    this.#watcher = watcher;
    const report = (event: NoteEvent) => (absolute: string) => {
      const rel = toVaultPath(root, path.resolve(absolute));
      if (!isMarkdown(rel) || isIgnoredPath(rel)) return;
      // Whole: seen arriving by a rename, never written in place. A note found by scanning a folder just
      // created (no raw event for it at all) may be mid-write: not whole.
      const whole = event !== 'unlink' && this.#tellsRenames && this.#renames.has(rel) && !this.#writes.has(rel);
      this.#writes.delete(rel);
      this.#renames.delete(rel);
      this.options.onNote(rel, event, whole);
    };
    watcher.on('raw', (kind, name, details) => {
      const dir = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (typeof dir !== 'string' || typeof name !== 'string') return;
      const rel = toVaultPath(root, path.resolve(dir, name));
      if (!isMarkdown(rel) || isIgnoredPath(rel)) return;
      if (kind === 'change') this.#writes.set(rel, performance.now());
      else if (kind === 'rename') this.#renames.add(rel);
    });
    watcher.on('add', report('add'));
    watcher.on('change', report('change'));
    watcher.on('unlink', report('unlink'));
    watcher.on('error', (error) => this.options.onError(error));
    return new Promise((resolve) => watcher.once('ready', () => resolve()));
  }

  /** Whether the note was written in place at or after `since` (a `performance.now()` time). */
  writtenSince(vaultPath: string, since: number): boolean {
    const at = this.#writes.get(vaultPath);
    return at !== undefined && at >= since;
  }

  async close(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.close();
  }
}
