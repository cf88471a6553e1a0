import { statSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Journal, type JournalRecord } from '../../src/state/journal.ts';
import type { LogFields, Logger } from '../../src/util/logger.ts';
import type { FrontmatterData } from '../../src/vault/frontmatter.ts';
import { NoteStore } from '../../src/vault/note-store.ts';
import { VaultWatcher, type VaultWatcherOptions } from '../../src/watch/vault-watcher.ts';

/**
 * Timestamps from inside the daemon without touching src/: the benches wrap the prototypes of the few
 * seams a message passes (the watcher's callback, the store, the journal) and give the daemon a logger
 * that notes when each line was logged. Writes are caught at the rename that lands them (fs/promises is
 * re-exported live with syncBuiltinESMExports), so they are seen whichever store method made them.
 * Each wrapper costs one performance.now() and one push.
 *
 *   event    the daemon's watcher reported the note            (VaultWatcher onNote)
 *   handle   the settle timer fired and intake began to read   (handleNote's first store call)
 *   write    a file renamed into place: every atomic write     (fs/promises rename, in the vault)
 *   append   a file appended to (turns.jsonl, logs)            (fs/promises appendFile, in the vault)
 *   update   a frontmatter update resolved, with its fields    (NoteStore.update)
 *   journal  one fsynced journal append                        (Journal.append)
 *   log      a log line (`message queued`, `turn started`, ...)
 */
export type ProbeKind = 'event' | 'handle' | 'write' | 'append' | 'update' | 'journal' | 'log';

export interface ProbeMark {
  kind: ProbeKind;
  /** performance.now() when it happened (for writes and appends: when they finished). */
  at: number;
  /** Vault path (absolute when outside the vault being probed), or the journal record's message. */
  path: string;
  /** Renames and journal appends: how long they took (they began at `at - ms`). */
  ms?: number;
  /** Renames, when the probe measures sizes. */
  bytes?: number;
  /** Log lines: the message; events: the chokidar event; journal appends: the record type. */
  what?: string;
  /** Updates: the fields written; log lines: the line's fields. */
  fields?: FrontmatterData;
}

type Listener = (mark: ProbeMark) => void;

class Probe {
  marks: ProbeMark[] = [];
  /** Off by default: a long bench keeps only what it asks for. */
  recording = false;
  /** The vault whose files are reported by vault path. */
  root = '';
  /** Also stat each renamed file for its size (a syscall per write: only where bytes are wanted). */
  sizes = false;
  readonly #listeners = new Set<Listener>();

  record(mark: ProbeMark): void {
    if (this.recording) this.marks.push(mark);
    for (const listener of this.#listeners) listener(mark);
  }

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  reset(recording = true, root = this.root): void {
    this.marks = [];
    this.recording = recording;
    this.root = root;
  }

  vaultPath(file: string): string {
    const rel = this.root ? path.relative(this.root, path.resolve(file)) : '';
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
  }

  /** A logger for the daemon that is silent but timestamps every line. */
  logger(bound: LogFields = {}): Logger {
    const line = (msg: string, fields: LogFields = {}) => {
      const all = { ...bound, ...fields };
      this.record({ kind: 'log', at: performance.now(), path: typeof all.note === 'string' ? all.note : '', what: msg, fields: all });
    };
    return { debug: line, info: line, warn: line, error: line, child: (fields) => this.logger({ ...bound, ...fields }) };
  }
}

let installed: Probe | undefined;

/** Wraps the seams once per process; later calls return the same probe. */
export function installProbe(): Probe {
  if (installed) return installed;
  const probe = new Probe();
  installed = probe;

  const start = VaultWatcher.prototype.start;
  VaultWatcher.prototype.start = function (this: VaultWatcher, ...args: Parameters<VaultWatcher['start']>) {
    const options = (this as unknown as { options: VaultWatcherOptions }).options;
    const onNote = options.onNote;
    options.onNote = (vaultPath, event, whole) => {
      probe.record({ kind: 'event', at: performance.now(), path: vaultPath, what: event });
      onNote(vaultPath, event, whole);
    };
    return start.apply(this, args);
  };

  // handleNote's first act is this lstat: the moment the settle timer let the note through.
  const isSymlink = NoteStore.prototype.isSymlink;
  NoteStore.prototype.isSymlink = function (this: NoteStore, vaultPath: string) {
    probe.record({ kind: 'handle', at: performance.now(), path: vaultPath });
    return isSymlink.call(this, vaultPath);
  };

  const rename = fsp.rename;
  fsp.rename = async (from, to) => {
    const began = performance.now();
    await rename(from, to);
    const at = performance.now();
    const bytes = probe.sizes ? statSync(to, { throwIfNoEntry: false })?.size : undefined;
    probe.record({ kind: 'write', at, path: probe.vaultPath(String(to)), ms: at - began, ...(bytes === undefined ? {} : { bytes }) });
  };
  const appendFile = fsp.appendFile;
  fsp.appendFile = async (file, data, options) => {
    await appendFile(file, data, options);
    probe.record({ kind: 'append', at: performance.now(), path: typeof file === 'string' ? probe.vaultPath(file) : '(handle)' });
  };
  syncBuiltinESMExports();

  const update = NoteStore.prototype.update;
  NoteStore.prototype.update = async function (this: NoteStore, vaultPath: string, updates: FrontmatterData) {
    const result = await update.call(this, vaultPath, updates);
    probe.record({ kind: 'update', at: performance.now(), path: vaultPath, fields: updates });
    return result;
  };

  const append = Journal.prototype.append;
  Journal.prototype.append = async function (this: Journal, record: JournalRecord) {
    const began = performance.now();
    await append.call(this, record);
    const at = performance.now();
    probe.record({ kind: 'journal', at, path: record.msg, ms: at - began, what: record.t });
  };

  return probe;
}

export type { Probe };
