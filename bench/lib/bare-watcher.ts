import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isIgnoredPath, isMarkdown, toVaultPath } from '../../src/vault/paths.ts';
import { watchOptions } from '../../src/watch/vault-watcher.ts';

/**
 * The baseline watcher: chokidar with exactly the options src/watch/vault-watcher.ts passes (the same
 * function builds them), reporting markdown notes by vault path, and nothing else done with them.
 */
export function bareWatcher(
  root: string,
  onNote: (vaultPath: string, event: string, at: number) => void = () => {},
  what: { ignoreInitial?: boolean } = {},
): { ready: Promise<void>; watcher: FSWatcher } {
  // A what-if only (cold start): the daemon itself needs the initial scan.
  const watcher = watch(root, watchOptions(root, false, !(what.ignoreInitial ?? false)));
  const report = (event: string) => (absolute: string) => {
    const at = performance.now();
    const rel = toVaultPath(root, path.resolve(absolute));
    if (isMarkdown(rel) && !isIgnoredPath(rel)) onNote(rel, event, at);
  };
  watcher.on('add', report('add'));
  watcher.on('change', report('change'));
  watcher.on('unlink', report('unlink'));
  return { ready: new Promise((resolve) => watcher.once('ready', () => resolve())), watcher };
}
