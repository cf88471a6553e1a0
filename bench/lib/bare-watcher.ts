import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isIgnoredPath, isMarkdown, toVaultPath } from '../../src/vault/paths.ts';

/**
 * The baseline watcher: chokidar with exactly the options src/watch/vault-watcher.ts passes (keep the
 * two in step), reporting markdown notes by vault path, and nothing else done with them.
 */
export function bareWatcher(
  root: string,
  onNote: (vaultPath: string, event: string, at: number) => void = () => {},
  what: { ignoreInitial?: boolean } = {},
): { ready: Promise<void>; watcher: FSWatcher } {
  const watcher = watch(root, {
    // A what-if only (cold start): the daemon itself needs the initial scan.
    ignoreInitial: what.ignoreInitial ?? false,
    persistent: true,
    followSymlinks: false,
    ignored: (absolute: string, stats?: { isFile(): boolean }) => {
      if (absolute === root) return false;
      const rel = toVaultPath(root, absolute);
      if (rel.startsWith('..')) return true;
      if (isIgnoredPath(rel)) return true;
      return stats?.isFile() === true && !isMarkdown(rel);
    },
  });
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
