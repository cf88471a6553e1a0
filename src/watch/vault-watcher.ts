import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { isIgnoredPath, isMarkdown, toVaultPath } from '../vault/paths.ts';

export type NoteEvent = 'add' | 'change' | 'unlink';

export interface VaultWatcherOptions {
  root: string;
  onNote: (vaultPath: string, event: NoteEvent) => void;
  onError: (error: unknown) => void;
  /** Poll instead of native events (network drives, some containers). */
  usePolling?: boolean;
}

/**
 * chokidar over the vault, reporting markdown notes only. The initial scan reports every existing note
 * (messages left `ready` while the daemon was down run at start); dot-folders and node_modules are not
 * even descended into.
 */
export class VaultWatcher {
  #watcher: FSWatcher | undefined;

  private readonly options: VaultWatcherOptions;

  constructor(options: VaultWatcherOptions) {
    this.options = options;
  }

  /** Resolves once the initial scan has been reported. */
  start(): Promise<void> {
    const { root } = this.options;
    const watcher = watch(root, {
      ignoreInitial: false,
      persistent: true,
      followSymlinks: false,
      ...(this.options.usePolling ? { usePolling: true, interval: 250 } : {}),
      ignored: (absolute: string, stats?: { isFile(): boolean }) => {
        if (absolute === root) return false;
        const rel = toVaultPath(root, absolute);
        if (rel.startsWith('..')) return true;
        if (isIgnoredPath(rel)) return true;
        return stats?.isFile() === true && !isMarkdown(rel);
      },
    });
    this.#watcher = watcher;
    const report = (event: NoteEvent) => (absolute: string) => {
      const rel = toVaultPath(root, path.resolve(absolute));
      if (isMarkdown(rel) && !isIgnoredPath(rel)) this.options.onNote(rel, event);
    };
    watcher.on('add', report('add'));
    watcher.on('change', report('change'));
    watcher.on('unlink', report('unlink'));
    watcher.on('error', (error) => this.options.onError(error));
    return new Promise((resolve) => watcher.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.close();
  }
}
