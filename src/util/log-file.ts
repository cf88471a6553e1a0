/**
 * The daemon's log on disk, `<vault>/.scriptorium/logs/scriptorium.log`, one JSON line per record, for
 * `scriptorium logs` and for whoever reads it after the terminal is gone. Rotated by size:
 * `scriptorium.log` → `.1` → `.2` … up to `.keep`; the oldest falls off.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { makeFolderBelowSync } from './make-folder.ts';

/** Where the log lives, relative to the vault. */
export const LOG_FILE = '.scriptorium/logs/scriptorium.log';

export interface LogFileOptions {
  /** The file is rotated before a line would take it past this size (default 5 MiB). */
  maxBytes?: number;
  /** Rotated files kept besides the current one (default 3: `.1`, `.2`, `.3`). */
  keep?: number;
  /** Told about the first failed write; default: one line on stderr. */
  onError?: (error: Error) => void;
  /**
   * A folder the log's folders are made in but that is never made itself (the vault: removed while the
   * daemon runs, it must not come back as a folder holding only the log). Default: made as needed.
   */
  within?: string;
}

export interface LogFile {
  write(line: string): void;
  /** Later writes are dropped. Idempotent. */
  close(): void;
}

export function createLogFile(file: string, options: LogFileOptions = {}): LogFile {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = Math.max(0, options.keep ?? 3);
  const onError =
    options.onError ??
    ((error: Error) => void process.stderr.write(`scriptorium: cannot write the log file ${file} (${error.message}); logging to stderr only\n`));
  // Unknown until the first write: a daemon restarted on the same vault goes on appending to the same file.
  let size: number | undefined;
  let closed = false;
  let reported = false;

  const rotate = () => {
    // Oldest first, so no rename lands on a file that is still to be moved.
    rmSync(`${file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) renameIfThere(`${file}.${i}`, `${file}.${i + 1}`);
    if (keep > 0) renameIfThere(file, `${file}.1`);
    else rmSync(file, { force: true });
    size = 0;
  };

  return {
    write(line) {
      if (closed) return;
      const text = line.endsWith('\n') ? line : line + '\n';
      const bytes = Buffer.byteLength(text);
      try {
        if (size === undefined) {
          if (options.within === undefined) mkdirSync(path.dirname(file), { recursive: true });
          else makeFolderBelowSync(options.within, path.dirname(file));
          size = sizeOf(file);
        }
        // A line longer than maxBytes on its own still goes in, alone in a fresh file.
        if (size > 0 && size + bytes > maxBytes) rotate();
        // Synchronous on purpose: a crash right after a log call must not lose the line that explains it.
        appendFileSync(file, text);
        size += bytes;
      } catch (error) {
        // Logging must never take the daemon down: say so once, then keep trying quietly (the folder may
        // come back), with the size re-read on the next write since the failure may have left it unknown.
        size = undefined;
        if (!reported) {
          reported = true;
          try {
            onError(error as Error);
          } catch {
            // The reporter failing too (a closed stderr) is no reason to crash either.
          }
        }
      }
    },
    close() {
      closed = true;
    },
  };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
