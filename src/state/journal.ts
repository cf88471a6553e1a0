import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { TurnUsage } from '../runner/types.ts';
import { makeFolderBelow } from '../util/make-folder.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import { createRedactor, redactDeep, type Redact } from '../util/redact.ts';

/**
 * Each message's progress, appended and fsynced to `.scriptorium/journal.jsonl` before the step it
 * announces, so that after a crash (or `kill -9`) at any instant a restart knows, per message, whether
 * its turn never started, was cut off mid-run, or ran and only had its notes left to write.
 */
export type JournalRecord = StartedRecord | SpawnedRecord | ResultRecord | FinishedRecord | RetryRecord;

/** A transient failure: the message waits and runs again at `retryAt` (attempt `attempt` of the max). */
export interface RetryRecord {
  t: 'retry';
  msg: string;
  attempt: number;
  retryAt: string;
  error: string;
  at: string;
}

/** The `claude` process group of a turn: after a crash it may still be running, and must be ended. */
export interface SpawnedRecord {
  t: 'spawned';
  msg: string;
  pid: number;
  at: string;
}

export interface StartedRecord {
  t: 'started';
  msg: string;
  agent: string;
  thread: string;
  startedAt: string;
  at: string;
}

/** Everything needed to write the turn's notes again, byte for byte the same decisions. */
export interface ResultRecord {
  t: 'result';
  /** The turn asked the user this (`ask_user`): its reply note holds the question, and the message waits for the answer. */
  question?: string | undefined;
  msg: string;
  agent: string;
  mode: 'single-threaded' | 'multi-threaded';
  thread: string;
  reply: string;
  startedAt: string;
  at: string;
  ok: boolean;
  text: string;
  session: string | undefined;
  costUsd: number;
  usage: TurnUsage;
  tools: string[];
  durationMs: number;
  notices: string[];
  from: string;
  to: string;
  body: string;
  origin: string | undefined;
  threadBefore: { turnCount: number; costUsd: number; usage: TurnUsage; session: string | undefined };
  errorKind: string | undefined;
}

export interface FinishedRecord {
  t: 'finished';
  msg: string;
  at: string;
}

export const JOURNAL_FILE = `${STATE_DIR}/journal.jsonl`;

export class Journal {
  /** The vault: its folder is never made here (removed, it stays removed). */
  readonly #root: string;
  readonly #file: string;
  readonly #redact: Redact;
  readonly #compactAbove: number;
  #writes: Promise<void> = Promise.resolve();
  /** Bytes appended since the file was last compacted (or since start): the file is about this big. */
  #appended = 0;

  /**
   * `compactAboveBytes`: a daemon running for months must not grow the journal for ever; once this much
   * has been appended, finished messages' records are dropped (between two appends, so none is lost).
   */
  constructor(root: string, options: { redact?: Redact; compactAboveBytes?: number } = {}) {
    this.#root = root;
    this.#file = path.join(root, JOURNAL_FILE);
    this.#redact = options.redact ?? createRedactor();
    this.#compactAbove = options.compactAboveBytes ?? 1024 * 1024;
  }

  /** Resolves once the record is on disk (fsynced); records are written in call order. */
  append(record: JournalRecord): Promise<void> {
    // A result record holds the reply and the message body: no secret is kept there either. Paths are
    // left alone (recovery finds notes by them).
    const line = JSON.stringify(redactText(record, this.#redact)) + '\n';
    // One failed write (a full disk) must not fail every later one: chain on the settled previous write.
    this.#writes = this.#writes.catch(() => {}).then(async () => {
      await makeFolderBelow(this.#root, path.dirname(this.#file));
      const handle = await open(this.#file, 'a');
      try {
        await handle.writeFile(line, 'utf8');
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.#appended += Buffer.byteLength(line);
      if (this.#appended >= this.#compactAbove) {
        // The record is on disk: a failed compaction (a full disk) must not fail its append.
        try {
          await this.#rewrite(openRecords(await this.readAll()));
        } catch {
          this.#appended = 0; // try again after as much again
        }
      }
    });
    return this.#writes;
  }

  /** Every readable record; a line cut short by a crash is skipped. */
  async readAll(): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch {
      return [];
    }
    const records: JournalRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        // Torn last line.
      }
    }
    return records;
  }

  /** Keep only what still matters (messages not finished), written atomically. */
  compact(keep: JournalRecord[]): Promise<void> {
    this.#writes = this.#writes.catch(() => {}).then(() => this.#rewrite(keep));
    return this.#writes;
  }

  async #rewrite(keep: JournalRecord[]): Promise<void> {
    const tmp = `${this.#file}.${process.pid}.tmp`;
    await makeFolderBelow(this.#root, path.dirname(this.#file));
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(keep.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.#file);
    this.#appended = 0;
  }
}

/**
 * Every string, paths included: a message the user named with a secret is journaled under the redacted
 * name, so a replay after a crash does not find that one note: the cost of keeping the secret out of
 * `.scriptorium/`.
 */
function redactText(record: JournalRecord, redact: Redact): JournalRecord {
  return redactDeep(record, redact);
}

/** Every record of the messages whose last record is not `finished`: what a restart still needs. */
export function openRecords(records: JournalRecord[]): JournalRecord[] {
  const last = lastByMessage(records);
  return records.filter((r) => last.get(r.msg)?.last.t !== 'finished');
}

/** The last record of each message, in journal order. */
export function lastByMessage(records: JournalRecord[]): Map<string, { last: JournalRecord; starts: number }> {
  const out = new Map<string, { last: JournalRecord; starts: number }>();
  for (const record of records) {
    const entry = out.get(record.msg) ?? { last: record, starts: 0 };
    entry.last = record;
    if (record.t === 'started') entry.starts++;
    if (record.t === 'finished' || record.t === 'retry') entry.starts = 0;
    out.set(record.msg, entry);
  }
  return out;
}
