import { randomUUID } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EDIT_TOOLS } from '../runner/claude-args.ts';
import type { Clock } from '../util/clock.ts';
import type { Redact } from '../util/redact.ts';
import { makeFolderBelowSync } from '../util/make-folder.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import { isInside, realPathOf } from '../vault/real-path.ts';

/** Where turns' writes are recorded: one file per agent, for its current or last turn; a header line, then one line per write. */
export const WRITES_DIR = `${STATE_DIR}/writes`;
/**
 * How long a file a turn wrote stays that turn's agent's: enough for the watcher to see it and intake to
 * take it in, long after the turn ended. A later turn's write records it again; after this, a person who
 * sets the note to `ready` sends it as their own.
 */
export const WRITE_MEMORY_MS = 3_600_000;

/** Who wrote a file: the agent whose turn it was, the depth of the message it answered, and that message. */
export interface Writer {
  agent: string;
  depth: number;
  /** The message a message written in this turn descends from (a callback's origin, or the message itself). */
  origin: string;
}

/** A running turn, and its record as last read (read again only when it has grown). */
interface LiveTurn {
  writer: Writer;
  file: string;
  seen: string[];
  cwd: string;
  read?: { text: string; seen: number; paths: Map<string, number> };
}

/** One line of a turn's record, as the hook appends it. */
interface WriteLine {
  file?: unknown;
  cwd?: unknown;
}

/**
 * Which turn wrote which file. Each turn gets a record file in `.scriptorium/writes/` and a Claude Code
 * PreToolUse hook (`--settings`) that appends the path of every Write/Edit to it *before* the tool runs:
 * by the time the watcher sees the note, its writer is known. The turn's own tools cannot touch the
 * record (dot-folders are denied to every edit tool, turns/turn-request.ts). The tool calls in the stream
 * are a second signal, for a user whose Claude Code settings turn hooks off.
 */
export class TurnWrites {
  readonly #root: string;
  readonly #clock: Clock;
  readonly #live = new Map<string, LiveTurn>();
  /** Vault path → its writer and when the write was recorded; forgotten after WRITE_MEMORY_MS. */
  readonly #recent = new Map<string, { writer: Writer; at: number; count: number }>();

  readonly #redact: Redact;

  /** `redact`: the daemon's redactor; a record is Scriptorium's own file, and a message's name may hold a secret. */
  constructor(root: string, clock: Clock, redact: Redact = (text) => text) {
    this.#root = root;
    this.#clock = clock;
    this.#redact = redact;
  }

  /** A turn starts: its record file, and the `--settings` JSON whose hook writes to it. */
  begin(writer: Writer, cwd: string): { id: string; settings: string } {
    const id = randomUUID();
    // One file per agent, used again by its next turn (an agent has one turn at a time): the folder never
    // grows, and a turn's end frees no space in the middle of other writes (a nearly full disk would take
    // that as "writable again").
    const file = path.join(this.#root, WRITES_DIR, `${writer.agent}.jsonl`);
    try {
      // Never the vault folder itself: one removed while the daemon runs is not made again.
      makeFolderBelowSync(realPathOf(this.#root), realPathOf(path.dirname(file)));
      // The header makes the file readable on its own: after a crash, the next start still knows the writer.
      // (Redacted like everything the daemon writes: read back after a restart, an origin with a secret in
      // its name then stamps a redacted link, as the store would have written it anyway.)
      writeFileSync(file, `${this.#redact(JSON.stringify(writer))}\n`);
    } catch {
      // A full or read-only disk: the turn still runs, but its hook cannot record a write either, and
      // then refuses it (fail closed), so no note it could write goes unattributed.
    }
    this.#live.set(id, { writer, file, seen: [], cwd });
    return { id, settings: hookSettings(file) };
  }

  /** The stream showed a tool call with this path (second signal; the hook's record comes first). */
  saw(id: string, file: string): void {
    this.#live.get(id)?.seen.push(file);
  }

  /** The turn is over: what it wrote is remembered for a while (its file is written over by the agent's next turn). */
  end(id: string): void {
    const turn = this.#live.get(id);
    if (!turn) return;
    this.#live.delete(id);
    const now = this.#clock.now().getTime();
    for (const [vaultPath, count] of this.#livePaths(turn)) this.#recent.set(vaultPath, { writer: turn.writer, at: now, count });
    // The memory is kept to the last hour's writes: a long run does not grow it.
    this.#forgetOld();
    try {
      // The turn is over: a note not written since this line is still as the turn left it (see recover).
      appendFileSync(turn.file, `${JSON.stringify({ ended: true })}\n`);
    } catch {
      // A full disk: the next start takes the record for a turn cut off by the stop (fail closed).
    }
  }

  /**
   * Record files of the last run: what those turns wrote is still theirs. A note the daemon had no time to
   * take in (written while it stopped, or by a turn a crash cut off) may be found only hours later: a turn
   * with no end line (cut off), and a note not written since its turn ended, count from this start; a
   * note written since (by a person, say) counts for an hour from the turn's end, as it would have.
   */
  recover(): void {
    const dir = path.join(this.#root, WRITES_DIR);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const realRoot = realPathOf(this.#root);
    const now = this.#clock.now().getTime();
    for (const name of names) {
      const file = path.join(dir, name);
      const text = readText(file);
      const [header, ...lines] = text.split('\n');
      const writer = parseWriter(header);
      const at = modifiedAt(file);
      if (writer && at !== undefined) {
        const ended = lines.some(isEndLine);
        for (const [vaultPath, count] of this.#paths(text, [], this.#root)) {
          const noteAt = modifiedAt(path.join(realRoot, vaultPath));
          const asLeft = !ended || (noteAt !== undefined && noteAt <= at);
          this.#recent.set(vaultPath, { writer, at: asLeft ? now : at, count });
        }
      }
      removeQuietly(file);
    }
  }

  /** The agent whose turn wrote this note (running or lately ended), or undefined: not written by a turn. */
  writerOf(vaultPath: string): Writer | undefined {
    // A running turn's record is read now: the hook wrote it before the tool wrote the note.
    let found: Writer | undefined;
    for (const turn of this.#live.values()) {
      if (this.#livePaths(turn).has(vaultPath)) found = turn.writer;
    }
    if (found) return found;
    const recent = this.#recent.get(vaultPath);
    if (!recent) return undefined;
    if (this.#clock.now().getTime() - recent.at > WRITE_MEMORY_MS) {
      this.#forgetOld();
      return undefined;
    }
    return recent.writer;
  }

  #forgetOld(): void {
    const before = this.#clock.now().getTime() - WRITE_MEMORY_MS;
    for (const [key, value] of this.#recent) if (value.at < before) this.#recent.delete(key);
  }

  /**
   * How many writes of this note the turns recorded (0 when none is remembered): a later write by the same
   * turn changes it, a person's save does not (intake/intake.ts tells an accepted definition by it).
   */
  writeCount(vaultPath: string): number {
    let count = 0;
    for (const turn of this.#live.values()) count += this.#livePaths(turn).get(vaultPath) ?? 0;
    const recent = this.#recent.get(vaultPath);
    return count + (recent && this.#clock.now().getTime() - recent.at <= WRITE_MEMORY_MS ? recent.count : 0);
  }

  /**
   * A running turn's paths: every intake asks while a turn runs, so the record is resolved again only when
   * it has grown (a new line) or the stream saw another write.
   */
  #livePaths(turn: LiveTurn): Map<string, number> {
    const text = readText(turn.file);
    if (turn.read?.text !== text || turn.read.seen !== turn.seen.length) {
      turn.read = { text, seen: turn.seen.length, paths: this.#paths(text, turn.seen, turn.cwd) };
    }
    return turn.read.paths;
  }

  /**
   * The vault paths a record (its text) names, each resolved from the turn's folder on real paths, with how
   * many writes name it (the hook's lines, or the stream's if it saw more: with hooks off, only the stream tells).
   */
  #paths(text: string, seen: string[], cwd: string): Map<string, number> {
    const hooked = this.#count(text.split('\n').slice(1).map(parseLine));
    const streamed = this.#count(seen.map((f) => ({ file: f, cwd })));
    const out = new Map(hooked);
    for (const [vaultPath, n] of streamed) out.set(vaultPath, Math.max(n, out.get(vaultPath) ?? 0));
    return out;
  }

  #count(named: Array<{ file: string; cwd: string } | undefined>): Map<string, number> {
    const out = new Map<string, number>();
    const realRoot = realPathOf(this.#root);
    for (const entry of named) {
      if (!entry) continue;
      let real: string;
      try {
        real = realPathOf(path.resolve(entry.cwd, entry.file));
      } catch {
        continue;
      }
      if (!isInside(real, realRoot)) continue;
      const vaultPath = path.relative(realRoot, real).split(path.sep).join('/');
      out.set(vaultPath, (out.get(vaultPath) ?? 0) + 1);
    }
    return out;
  }
}

/** A read-only disk must not stop the daemon over a record: one left behind is read again at the next start. */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // kept: harmless, its writes expire by their time
  }
}

function modifiedAt(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function parseWriter(line: string | undefined): Writer | undefined {
  try {
    const w = JSON.parse(line ?? '') as Partial<Writer>;
    return typeof w.agent === 'string' && typeof w.depth === 'number' && typeof w.origin === 'string' ? { agent: w.agent, depth: w.depth, origin: w.origin } : undefined;
  } catch {
    return undefined;
  }
}

function isEndLine(line: string): boolean {
  try {
    return (JSON.parse(line) as { ended?: unknown }).ended === true;
  } catch {
    return false;
  }
}

function parseLine(line: string): { file: string; cwd: string } | undefined {
  if (!line.trim()) return undefined;
  try {
    const { file, cwd } = JSON.parse(line) as WriteLine;
    return typeof file === 'string' && typeof cwd === 'string' ? { file, cwd } : undefined;
  } catch {
    return undefined;
  }
}

/** A word for a POSIX shell, whatever it holds: Claude Code runs a hook's command through `sh -c`. */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `--settings` JSON for one turn: a PreToolUse hook on the writing tools that runs this package's
 * `cli/record-write` (on the daemon's Node) to record the path. Settings passed this way are loaded
 * whatever `--setting-sources` says.
 */
export function hookSettings(recordFile: string): string {
  const here = fileURLToPath(import.meta.url);
  const entry = path.join(path.dirname(here), '..', 'cli', `record-write${path.extname(here)}`);
  const command = [process.execPath, entry, '--record', recordFile].map(shellWord).join(' ');
  return JSON.stringify({ hooks: { PreToolUse: [{ matcher: [...EDIT_TOOLS].join('|'), hooks: [{ type: 'command', command }] }] } });
}
