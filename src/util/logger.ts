/**
 * Structured logging with fixed messages: `logger.warn('turn failed', { agent, note })`.
 * On a terminal the lines are for people; otherwise one JSON object per line for tools.
 */
import { isoLocal } from './clock.ts';
import { createRedactor, redactDeep, type Redact } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'human' | 'json';
  write?: (line: string) => void;
  now?: () => Date;
  /** Default: the secrets of this process's environment and well-known token shapes never reach a log line. */
  redact?: Redact;
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'json';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const redact = options.redact ?? createRedactor();

  const emit = (lvl: LogLevel, msg: string, fields: LogFields = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const all = redactDeep(serializable({ ...bound, ...fields }) as LogFields, redact);
    msg = redact(msg);
    if (format === 'json') {
      write(JSON.stringify({ time: now().toISOString(), level: lvl, msg, ...all }));
      return;
    }
    write(humanLine(now().toTimeString().slice(0, 8), lvl, msg, all));
  };

  const logger: Logger = {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, redact }, { ...bound, ...fields }),
  };
  redactorOf.set(logger, redact);
  return logger;
}

/** The redactor each logger made here applies to the lines it writes (and only to those it writes). */
const redactorOf = new WeakMap<Logger, Redact>();

/**
 * `inner`, with `redact` applied to every message and field before it gets them: the daemon's own secrets
 * (its API token...) reach no log line, whatever logger it was given (the CLI's, a test's).
 */
export function redactingLogger(inner: Logger, redact: Redact): Logger {
  // Already redacting with this very redactor, and only the lines its level lets through: wrapping it
  // would redact every debug line twice, written or not.
  if (redactorOf.get(inner) === redact) return inner;
  const wrap = (log: (msg: string, fields?: LogFields) => void) => (msg: string, fields?: LogFields) =>
    log(redact(msg), fields === undefined ? undefined : redactDeep(serializable(fields) as LogFields, redact));
  return {
    debug: wrap((m, f) => inner.debug(m, f)),
    info: wrap((m, f) => inner.info(m, f)),
    warn: wrap((m, f) => inner.warn(m, f)),
    error: wrap((m, f) => inner.error(m, f)),
    child: (fields) => redactingLogger(inner.child(redactDeep(serializable(fields) as LogFields, redact)), redact),
  };
}

/**
 * One JSON log record (`{ time, level, msg, ...fields }`, as the json format writes it) the way the human
 * format shows it: what `scriptorium logs` prints, and what `start` shows on a terminal while the log file
 * gets the JSON. `withDate` adds the local date, for a file that spans days.
 */
export function formatHuman(record: Record<string, unknown>, options: { withDate?: boolean } = {}): string {
  const { time, level, msg, ...fields } = record;
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : NaN);
  let shown = typeof time === 'string' ? time : '--:--:--';
  if (!Number.isNaN(date.getTime())) {
    shown = date.toTimeString().slice(0, 8);
    if (options.withDate) shown = `${isoLocal(date).slice(0, 10)} ${shown}`;
  }
  return humanLine(shown, String(level ?? '?'), String(msg ?? ''), fields);
}

function humanLine(time: string, level: string, msg: string, fields: LogFields): string {
  const tail = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(serializable(v))}`)
    .join(' ');
  return `${time} ${level.toUpperCase().padEnd(5)} ${msg}${tail ? '  ' + tail : ''}`;
}

function serializable(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, serializable(v)]));
  }
  return value;
}

/** A logger that keeps its lines in memory, for tests and for `--quiet`. */
export function createMemoryLogger(): Logger & { lines: Array<{ level: LogLevel; msg: string } & LogFields> } {
  const lines: Array<{ level: LogLevel; msg: string } & LogFields> = [];
  const make = (bound: LogFields): Logger => {
    const push = (level: LogLevel) => (msg: string, fields: LogFields = {}) => {
      lines.push({ level, msg, ...bound, ...fields });
    };
    return {
      debug: push('debug'),
      info: push('info'),
      warn: push('warn'),
      error: push('error'),
      child: (f) => make({ ...bound, ...f }),
    };
  };
  return Object.assign(make({}), { lines });
}
