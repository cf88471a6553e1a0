import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_FILE } from '../util/log-file.ts';
import { formatHuman, type LogLevel } from '../util/logger.ts';
import { err, out, UsageError } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const LOGS_HELP = `scriptorium logs [vault] [options]

Show the daemon's log (<vault>/${LOG_FILE} and the files rotated out of it), oldest first.

Options:
  -n, --lines N     the last N matching lines (default 50)
  -f, --follow      keep printing new lines as the daemon writes them, until Ctrl-C
  --json            the lines as written, one JSON object each
  --level L         this level and worse: debug | info | warn | error
  --agent NAME      only the lines about this agent
  --since T         only the lines since a while ago (30s, 10m, 2h, 1d) or an ISO time (2026-11-21T09:00)`;

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** How often `--follow` looks at the file: new lines show within a quarter second. */
const POLL_MS = 250;

/** One parsed line: `{ time, level, msg, ...fields }`. */
type LogRecord = Record<string, unknown>;
/** An open log file and the inode that tells it apart from the one that replaced it. */
interface Opened {
  fd: number;
  ino: number;
}

export async function logsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f' },
      json: { type: 'boolean' },
      level: { type: 'string' },
      agent: { type: 'string' },
      since: { type: 'string' },
    },
  });
  if (positionals.length > 1) throw new UsageError(`expected at most one vault, got ${positionals.length} arguments: ${positionals.join(' ')}`);
  const count = values.lines === undefined ? 50 : Number(values.lines);
  if (!Number.isInteger(count) || count < 0) throw new UsageError(`-n expects a whole number from 0, got "${values.lines}"`);
  const matches = lineFilter({ level: values.level, agent: values.agent, since: values.since }, new Date());
  /** The line as printed, or undefined when the filters leave it out. */
  const render = (line: string): string | undefined => {
    const record = parseRecord(line);
    if (!matches(record)) return undefined;
    return values.json || !record ? line : formatHuman(record, { withDate: true });
  };
  const print = (lines: string[]) => {
    const shown = lines.map(render).filter((line) => line !== undefined);
    if (shown.length > 0) out(shown.join('\n'));
  };

  const vault = resolveVault(positionals[0]);
  const file = path.join(vault, LOG_FILE);
  const chain = existsSync(file) ? openChain(file) : undefined;
  if (!chain) {
    err(`no log yet at ${file}: the daemon writes it once started (scriptorium start)`);
    return 1;
  }

  // Newest file first, each from its end, until N lines pass the filters.
  const wanted: string[] = [];
  const current = readFrom(chain[0]!.fd, 0);
  // A last line without its newline is still being written; --follow prints it once it is whole.
  const newest = values.follow || !current.rest.trim() ? current.lines : [...current.lines, current.rest];
  for (let f = 0; f < chain.length && wanted.length < count; f++) {
    const lines = f === 0 ? newest : wholeFile(chain[f]!.fd);
    for (let i = lines.length - 1; i >= 0 && wanted.length < count; i--) {
      const shown = render(lines[i]!);
      if (shown !== undefined) wanted.push(shown);
    }
  }
  if (wanted.length > 0) out(wanted.reverse().join('\n'));
  for (const older of chain.slice(1)) closeSync(older.fd);
  if (!values.follow) {
    closeSync(chain[0]!.fd);
    return 0;
  }
  return follow(file, chain[0]!, current.end, print);
}

/**
 * Until SIGINT (or SIGTERM): every POLL_MS, the lines added since. When the file is replaced by a rotation,
 * the old one is read to its end, then any file rotated past in between, then the new one from its start;
 * a file cut short is read again from its start.
 */
function follow(file: string, opened: Opened, from: number, emit: (lines: string[]) => void): Promise<number> {
  let current = opened;
  // Stays at the end of the last whole line: a line still being written is read again, whole, next time.
  let position = from;
  const drain = () => {
    const read = readFrom(current.fd, position);
    position = read.end;
    if (read.lines.length > 0) emit(read.lines);
    return read.rest;
  };

  const tick = () => {
    drain();
    const onDisk = statIfThere(file);
    // Missing: the daemon is between renaming the file away and writing its next line; look again later.
    if (!onDisk || (onDisk.ino === current.ino && onDisk.size >= position)) return;
    // A line may have landed in the old file between the read above and the rotation: finish it first.
    const cutShort = drain();
    const chain = openChain(file);
    if (!chain) return;
    if (cutShort.trim()) emit([cutShort]);
    // Where the file we were reading went: .k after k rotations, so .k-1 … .1 came after it and are news.
    // Not in the chain (deleted, or rotated off the end), only the new current file is sure to be news.
    const k = chain.findIndex((entry) => entry.ino === current.ino);
    for (let i = k - 1; i >= 1; i--) emit(wholeFile(chain[i]!.fd));
    closeSync(current.fd);
    for (const older of chain.slice(1)) closeSync(older.fd);
    current = chain[0]!;
    position = 0;
    drain();
  };

  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (code: number) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      closeSync(current.fd);
      resolve(code);
    };
    const onSignal = () => stop(0);
    const loop = () => {
      try {
        tick();
      } catch (error) {
        err(`scriptorium logs: cannot read ${file}: ${(error as Error).message}`);
        stop(1);
        return;
      }
      timer = setTimeout(loop, POLL_MS);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    timer = setTimeout(loop, POLL_MS);
  });
}

/**
 * The current log and its rotated files, `[current, .1, .2, …]`, opened as of one instant: a rotation
 * while they are being opened would shift the names under us, so then they are opened again. Undefined
 * while the current file is missing (a rotation renamed it and the next line is not written yet).
 */
function openChain(file: string): Opened[] | undefined {
  for (;;) {
    const chain: Opened[] = [];
    for (const name of [file, ...rotatedFiles(file)]) {
      try {
        const fd = openSync(name, 'r');
        chain.push({ fd, ino: fstatSync(fd).ino });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        if (name === file) return undefined;
      }
    }
    // Every rotation renames the current file away, so the same inode there means none happened meanwhile.
    if (statIfThere(file)?.ino === chain[0]!.ino) return chain;
    for (const entry of chain) closeSync(entry.fd);
  }
}

/** `scriptorium.log.1`, `.2`, … newest first. */
function rotatedFiles(file: string): string[] {
  const base = path.basename(file);
  const pattern = new RegExp(`^${base.replace(/\./g, '\\.')}\\.(\\d+)$`);
  return readdirSync(path.dirname(file))
    .map((name) => ({ name, n: Number(pattern.exec(name)?.[1]) }))
    .filter((entry) => Number.isInteger(entry.n))
    .sort((a, b) => a.n - b.n)
    .map((entry) => path.join(path.dirname(file), entry.name));
}

/** The complete lines from `position` to the end of the file, what follows the last newline, and where that starts. */
function readFrom(fd: number, position: number): { lines: string[]; rest: string; end: number } {
  const size = fstatSync(fd).size;
  if (size <= position) return { lines: [], rest: '', end: position };
  const buffer = Buffer.alloc(size - position);
  let got = 0;
  while (got < buffer.length) {
    const n = readSync(fd, buffer, got, buffer.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  // Cut at the last newline in bytes, so a character split across two reads is never decoded in halves.
  const cut = buffer.subarray(0, got).lastIndexOf(0x0a) + 1;
  return { lines: splitLines(buffer.subarray(0, cut).toString('utf8')), rest: buffer.subarray(cut, got).toString('utf8'), end: position + cut };
}

/** A rotated file is finished: its last line counts even without a newline. */
function wholeFile(fd: number): string[] {
  const read = readFrom(fd, 0);
  return read.rest.trim() ? [...read.lines, read.rest] : read.lines;
}

function splitLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

function statIfThere(file: string) {
  try {
    return statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseRecord(line: string): LogRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The --level, --agent and --since test for one line. A line that is not a JSON record (one cut short by
 * a crash) cannot be judged, so it shows only when nothing is being filtered.
 */
function lineFilter(options: { level?: string; agent?: string; since?: string }, now: Date): (record: LogRecord | undefined) => boolean {
  let minLevel = -1;
  if (options.level !== undefined) {
    minLevel = LEVELS.indexOf(options.level as LogLevel);
    if (minLevel < 0) throw new UsageError(`--level expects debug, info, warn or error, got "${options.level}"`);
  }
  const since = options.since === undefined ? undefined : parseSince(options.since, now);
  const filtering = options.level !== undefined || options.agent !== undefined || since !== undefined;
  return (record) => {
    if (!record) return !filtering;
    if (minLevel >= 0 && LEVELS.indexOf(record.level as LogLevel) < minLevel) return false;
    if (options.agent !== undefined && record.agent !== options.agent) return false;
    if (since !== undefined) {
      const time = typeof record.time === 'string' ? Date.parse(record.time) : NaN;
      if (Number.isNaN(time) || time < since) return false;
    }
    return true;
  };
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m` back from now, or an ISO time (a date alone is local midnight); milliseconds since the epoch. */
function parseSince(text: string, now: Date): number {
  const trimmed = text.trim();
  const relative = /^(\d+)\s*([smhd])$/.exec(trimmed);
  if (relative) return now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  const time = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00` : trimmed) : NaN;
  if (Number.isNaN(time)) throw new UsageError(`--since expects a while ago (30s, 10m, 2h, 1d) or an ISO time (2026-11-21T09:00), got "${text}"`);
  return time;
}
