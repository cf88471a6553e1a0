import { randomUUID } from 'node:crypto';
import { lstat, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { constants, createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { hashOf, OwnWrites } from './own-writes.ts';
import { resolveInVault } from './paths.ts';
import { OutsideVaultError, realNotePath, realPathOf } from './real-path.ts';
import { locateFrontmatter, parseFrontmatter, stringifyNote, updateFrontmatterText, type FrontmatterData } from './frontmatter.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, NOTE_HEAD_BYTES } from './note-size.ts';
import { createRedactor, redactDeep, type Redact } from '../util/redact.ts';
import { makeFolderBelow } from '../util/make-folder.ts';
import type { WriteHealth } from './write-health.ts';

export const STATE_DIR = '.scriptorium';

/** A note read whole, or, when it is over the size limit, its size and its first 64 KB only. */
export type BoundedRead = { raw: string } | { tooBig: true; size: number; head: string };

/**
 * The one place that reads and writes note files. Every write is atomic (a temp file in
 * `.scriptorium/tmp/`, on the vault's own filesystem, fsynced, then renamed over the target), so
 * Obsidian, a sync tool or the watcher never sees a half-written note; and every write is remembered
 * so the watcher can tell our writes from the user's.
 */
export class NoteStore {
  readonly ownWrites = new OwnWrites();
  readonly #updates = new Map<string, Promise<string | null>>();
  readonly #creating = new Set<string>();
  readonly #folders = new Set<string>();
  /** Notes known complete in their current version (renamed into place): read without waiting for quiet. */
  readonly #whole = new Map<string, string>();
  /** Notes written with `wake` (for the daemon to take in), by hash of the text: see `wokenWrite`. */
  readonly #woken = new Map<string, string>();
  /** Notes Scriptorium last appended to, by their version (size and mtime) right after: see `isOwnAppend`. */
  readonly #appended = new Map<string, string>();

  readonly root: string;
  /** The vault's real path, resolved once (the vault folder itself may be a symbolic link). */
  readonly #realRoot: string;
  /** Applied to everything Scriptorium writes: no secret from its environment lands in a note. */
  readonly redact: Redact;

  /** Messages and definitions over this size are never read whole (`readBounded`), nor held whole to be updated. */
  readonly maxNoteBytes: number;

  readonly #onUpdate: ((vaultPath: string, updates: FrontmatterData) => void) | undefined;
  readonly #health: WriteHealth | undefined;

  /**
   * `onUpdate`: told of every frontmatter update written (the daemon keeps its list of notes in error with
   * it). `health`: told of every write's outcome, so a full or read-only disk is reported once.
   * `maxNoteBytes`: messages and definitions over it are never read whole.
   */
  constructor(
    root: string,
    options: { redact?: Redact; onUpdate?: (vaultPath: string, updates: FrontmatterData) => void; health?: WriteHealth; maxNoteBytes?: number } = {},
  ) {
    this.root = root;
    this.#realRoot = realPathOf(root);
    this.redact = options.redact ?? createRedactor();
    this.#onUpdate = options.onUpdate;
    this.#health = options.health;
    this.maxNoteBytes = options.maxNoteBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /**
   * Where a note really is: its folder's real path and its name. Throws (OutsideVaultError) when `../`,
   * or a symbolic link (a folder on the way, or the note itself), leads outside the vault.
   */
  absolute(vaultPath: string): string {
    return realNotePath(this.#realRoot, vaultPath, resolveInVault(this.root, vaultPath));
  }

  /** A note that a link leads outside the vault does not exist as far as the vault goes (a write to it is refused). */
  exists(vaultPath: string): boolean {
    try {
      return existsSync(this.absolute(vaultPath));
    } catch (error) {
      if (error instanceof OutsideVaultError) return false;
      throw error;
    }
  }

  async read(vaultPath: string): Promise<string> {
    return readFile(this.absolute(vaultPath), 'utf8');
  }

  /**
   * Read a note someone else may be saving right now (Obsidian and most editors write in place, so a
   * read can land between the truncate and the write): wait until it has been quiet for `quietMs` and
   * is the same before and after the read. Gives up waiting after a few rounds and reads what is there.
   */
  async readStable(vaultPath: string, quietMs = 120): Promise<string | null> {
    const read = (await this.#readStable(vaultPath, quietMs, Infinity))?.read ?? null;
    return read && 'raw' in read ? read.raw : null;
  }

  /** `readStable`, for a note that may be over `maxNoteBytes` (a message): then only its head is read. */
  async readStableBounded(vaultPath: string, quietMs = 120): Promise<BoundedRead | null> {
    return (await this.#readStable(vaultPath, quietMs, this.maxNoteBytes))?.read ?? null;
  }

  async #readStable(vaultPath: string, quietMs: number, maxBytes: number): Promise<{ read: BoundedRead; version: string } | null> {
    // Said here, not taken for "no note": #version reads a note outside the vault as absent.
    this.absolute(vaultPath);
    for (let round = 0; round < 8; round++) {
      const before = await this.#version(vaultPath);
      if (before === null) return null;
      const read = await this.readBounded(vaultPath, maxBytes);
      if (read === null) return null;
      if ((await this.#version(vaultPath)) !== before) continue;
      // Our own last write is whole (it was renamed into place): no need to wait.
      if ('raw' in read && this.ownWrites.isOwn(vaultPath, read.raw)) return { read, version: before };
      if (this.#whole.get(vaultPath) === before) return { read, version: before };
      const age = Date.now() - Number(before.split(':')[1]);
      if (age >= quietMs) return { read, version: before };
      await new Promise((resolve) => setTimeout(resolve, quietMs - Math.max(age, 0)));
    }
    const read = await this.readBounded(vaultPath, maxBytes);
    const version = await this.#version(vaultPath);
    return read === null || version === null ? null : { read, version };
  }

  /**
   * The note whole when it is at most `maxBytes`; otherwise its size and its first 64 KB, and never more
   * than one byte past the limit is read (the size is taken from the open file, and a note growing while
   * it is read is still caught). Null when it does not exist.
   */
  async readBounded(vaultPath: string, maxBytes = this.maxNoteBytes): Promise<BoundedRead | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.absolute(vaultPath), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) return await tooBig(handle, size);
      const chunks: Buffer[] = [];
      let total = 0;
      for (let want = Math.min(size, maxBytes) + 1; want > 0; want = Math.min(NOTE_HEAD_BYTES, maxBytes + 1 - total)) {
        const chunk = Buffer.allocUnsafe(want);
        const { bytesRead } = await handle.read(chunk, 0, want, total);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
      }
      if (total > maxBytes) return await tooBig(handle, Math.max(total, (await handle.stat()).size));
      return { raw: Buffer.concat(chunks, total).toString('utf8') };
    } finally {
      await handle.close();
    }
  }

  /**
   * A note's text for its frontmatter only (a status, a next_run): whole when it is within `maxNoteBytes`,
   * else its first 64 KB, so a look at a huge note's fields never reads it whole. Null when it does not exist.
   */
  async readForFields(vaultPath: string): Promise<string | null> {
    const read = await this.readBounded(vaultPath);
    return read === null ? null : 'raw' in read ? read.raw : read.head;
  }

  async readIfExists(vaultPath: string): Promise<string | null> {
    try {
      return await this.read(vaultPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** A note that is a link, or that a linked folder leads outside the vault: neither is read as a note. */
  async isSymlink(vaultPath: string): Promise<boolean> {
    try {
      return (await lstat(this.absolute(vaultPath))).isSymbolicLink();
    } catch (error) {
      return error instanceof OutsideVaultError;
    }
  }

  async mtimeMs(vaultPath: string): Promise<number | null> {
    try {
      return (await stat(this.absolute(vaultPath))).mtimeMs;
    } catch {
      return null;
    }
  }

  /**
   * `wake: true` for a note the daemon itself must act on (a callback, a scheduled message): it is not
   * remembered as our own write, so the watcher hands it to intake like any note a person writes.
   */
  write(vaultPath: string, content: string, options: { wake?: boolean; unchangedSince?: string | null | undefined } = {}): Promise<boolean> {
    const text = this.#redactNote(content);
    return this.#write(vaultPath, text, { ...options, woken: options.wake ? text : undefined });
  }

  /**
   * Whether this text is what Scriptorium wrote to the note with `wake` (whole: renamed into place), as
   * the watcher may not tell (polling, or off Linux). Said once: the note is being taken in.
   */
  wokenWrite(vaultPath: string, raw: string): boolean {
    const hash = this.#woken.get(vaultPath);
    if (hash === undefined || hash !== hashOf(raw)) return false;
    this.#woken.delete(vaultPath);
    return true;
  }

  /**
   * Replaced as text inside the frontmatter, a secret's `[redacted NAME]` would read as a YAML list (`from:
   * [redacted api_token]`) and break the note: its fields are redacted as values and written again instead.
   */
  #redactNote(content: string): string {
    const redacted = this.redact(content);
    if (redacted === content) return content;
    try {
      const block = locateFrontmatter(content);
      if (!block || this.redact(content.slice(block.yamlStart, block.yamlEnd)) === content.slice(block.yamlStart, block.yamlEnd)) return redacted;
      const { data, body } = parseFrontmatter(content);
      return stringifyNote(redactDeep(data, this.redact), this.redact(body));
    } catch {
      return redacted;
    }
  }

  /** `woken`: the text of a `wake` write of a new note, remembered for `wokenWrite` (not a user's edit woken by an update). */
  #write(vaultPath: string, content: string, options: { wake?: boolean; woken?: string | undefined; unchangedSince?: string | null | undefined }): Promise<boolean> {
    return this.#writeWith(vaultPath, options.wake ? undefined : content, options, (handle) => handle.writeFile(content, 'utf8'));
  }

  /** `own`: the text written, remembered as ours; undefined: not remembered (the watcher will hand it on). */
  async #writeWith(
    vaultPath: string,
    own: string | undefined,
    options: { woken?: string | undefined; unchangedSince?: string | null | undefined },
    fill: (handle: FileHandle) => Promise<void>,
  ): Promise<boolean> {
    try {
      const written = await this.#writeOnce(vaultPath, own, options, fill);
      this.#health?.succeeded();
      return written;
    } catch (error) {
      this.#health?.failed(error, vaultPath);
      throw error;
    }
  }

  async #writeOnce(
    vaultPath: string,
    own: string | undefined,
    options: { woken?: string | undefined; unchangedSince?: string | null | undefined },
    fill: (handle: FileHandle) => Promise<void>,
  ): Promise<boolean> {
    // Both places are checked before any folder is made: a linked `Outbox/` (or `.scriptorium/`) must not
    // get so much as a folder written outside the vault.
    const target = this.absolute(vaultPath);
    const tmp = this.absolute(`${STATE_DIR}/tmp/${randomUUID()}.tmp`);
    await this.#folder(path.dirname(tmp));
    await this.#folder(path.dirname(target));
    const handle = await open(tmp, 'w');
    try {
      await fill(handle);
      await handle.sync();
    } catch (error) {
      // A full disk leaves a partial temp file: removed, or it holds on to the space it took.
      await rm(tmp, { force: true }).catch(() => {});
      throw error;
    } finally {
      await handle.close().catch(() => {});
    }
    if (options.unchangedSince !== undefined && (await this.#version(vaultPath)) !== options.unchangedSince) {
      await rm(tmp, { force: true });
      return false;
    }
    this.#whole.delete(vaultPath);
    this.#appended.delete(vaultPath);
    // Remember before the rename: the watcher may see the new file before rename() returns.
    if (own === undefined) this.ownWrites.forget(vaultPath);
    else this.ownWrites.remember(vaultPath, own);
    if (options.woken === undefined) this.#woken.delete(vaultPath);
    else this.#woken.set(vaultPath, hashOf(options.woken));
    try {
      // Checked again just before the rename: a folder swapped for a link meanwhile is caught here.
      await rename(tmp, this.absolute(vaultPath));
    } catch (error) {
      this.ownWrites.forget(vaultPath);
      this.#woken.delete(vaultPath);
      await rm(tmp, { force: true });
      throw error;
    }
    return true;
  }

  /**
   * `text` added at the end of a note, which is never rewritten (an archive of turns): the cost is the text's,
   * whatever the note's size. Not atomic as a rename is, but a reader sees the note as it was or with text
   * added; the caller makes a repeat after a crash harmless (`endsWith`). Never through a symbolic link.
   */
  async append(vaultPath: string, text: string): Promise<void> {
    const target = this.absolute(vaultPath);
    try {
      await this.#folder(path.dirname(target));
      const handle = await open(target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
      try {
        await handle.writeFile(this.redact(text), 'utf8');
        await handle.sync();
        const s = await handle.stat();
        // Remembered by version, not by text: the note is not read back whole to be recognised.
        this.#appended.set(vaultPath, `${s.size}:${s.mtimeMs}`);
        this.ownWrites.forget(vaultPath);
      } finally {
        await handle.close();
      }
      this.#health?.succeeded();
    } catch (error) {
      this.#health?.failed(error, vaultPath);
      throw error;
    }
  }

  /** Whether the note is as Scriptorium's last append left it (size and mtime): the watcher's event for it is ours. */
  async isOwnAppend(vaultPath: string): Promise<boolean> {
    const appended = this.#appended.get(vaultPath);
    if (appended === undefined) return false;
    return (await this.#version(vaultPath)) === appended;
  }

  /** Whether the note ends with `text` (as `append` would write it), reading only its end. */
  async endsWith(vaultPath: string, text: string): Promise<boolean> {
    const want = Buffer.from(this.redact(text), 'utf8');
    const same = await this.#withNoteOpen(vaultPath, async (handle) => {
      const { size } = await handle.stat();
      if (size < want.length) return false;
      const tail = Buffer.alloc(want.length);
      const { bytesRead } = await handle.read(tail, 0, want.length, size - want.length);
      return bytesRead === want.length && tail.equals(want);
    });
    return same === true;
  }

  /** The note's first `bytes` bytes (a frontmatter to look at), never through a symbolic link; null when it does not exist. */
  async readHead(vaultPath: string, bytes: number): Promise<string | null> {
    return this.#withNoteOpen(vaultPath, async (handle) => {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    });
  }

  /** `read` on the note opened for reading, never through a symbolic link; null when it does not exist. */
  async #withNoteOpen<T>(vaultPath: string, read: (handle: FileHandle) => Promise<T>): Promise<T | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.absolute(vaultPath), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return await read(handle);
    } finally {
      await handle.close();
    }
  }

  /** The note's size in bytes, or null when it does not exist. */
  async size(vaultPath: string): Promise<number | null> {
    try {
      return (await stat(this.absolute(vaultPath))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** The first of `dir/name.md`, `dir/name-2.md`, ... that is not taken (nor being created now). */
  freePath(dir: string, baseName: string): string {
    // A last net for names made from message text: callers redact that text before cutting it to length
    // (a secret cut in half no longer matches); what still matches here loses the brackets links reject.
    const redacted = this.redact(baseName);
    if (redacted !== baseName) baseName = redacted.replace(/[[\]]/g, '');
    for (let n = 1; ; n++) {
      const vaultPath = `${dir}/${baseName}${n === 1 ? '' : `-${n}`}.md`;
      if (!this.exists(vaultPath) && !this.#creating.has(vaultPath)) return vaultPath;
    }
  }

  /** Write a new note under a name that is not taken yet: `name.md`, `name-2.md`, ... */
  async create(dir: string, baseName: string, content: string, options: { wake?: boolean } = {}): Promise<string> {
    // Reserved until written: two notes created at once with the same name (two API posts in the same
    // second) must not both pick `name.md`, the second replacing the first.
    const vaultPath = this.freePath(dir, baseName);
    this.#creating.add(vaultPath);
    try {
      await this.write(vaultPath, content, options);
    } finally {
      this.#creating.delete(vaultPath);
    }
    return vaultPath;
  }

  /**
   * Set or remove frontmatter fields of a note, keeping the rest of it byte for byte. Re-reads the note
   * first so an edit the user saved a moment ago is kept. Returns the new text, or null if the note is gone.
   */
  update(vaultPath: string, updates: FrontmatterData): Promise<string | null> {
    return this.#oneAtATime(vaultPath, () => this.#update(vaultPath, updates));
  }

  /**
   * Change a note's text with `change` (its text as read now → the new text, or null to leave it), in the
   * same order as `update()` and with the same care: re-read first, and redone from the new text if
   * someone saves meanwhile, so an edit the user saved a moment ago is kept. `change` may be called more
   * than once. Returns the note's text after it, or null when the note is gone or too big to hold whole.
   * What `change` adds is written as it is (not redacted here: redact it first).
   */
  edit(vaultPath: string, change: (raw: string) => string | null): Promise<string | null> {
    return this.#oneAtATime(vaultPath, () => this.#edit(vaultPath, change));
  }

  /** One read-modify-write of a note at a time in this process: a turn's status and a callback's stamp on the same note must not overwrite each other. */
  #oneAtATime(vaultPath: string, work: () => Promise<string | null>): Promise<string | null> {
    // Other writers are caught by the version check in each write.
    const previous = this.#updates.get(vaultPath) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.#updates.set(vaultPath, next);
    void next.finally(() => {
      if (this.#updates.get(vaultPath) === next) this.#updates.delete(vaultPath);
    }).catch(() => {});
    return next;
  }

  /**
   * Updates of this note wait until `until` settles: a note renamed into place is not written by us in its
   * grace, when the writer may still be appending to it (an append landing under our rename would be lost).
   */
  holdUpdates(vaultPath: string, until: Promise<unknown>): void {
    const previous = this.#updates.get(vaultPath) ?? Promise.resolve(null);
    const next = previous.then(() => until, () => until).then(() => null, () => null);
    this.#updates.set(vaultPath, next);
    void next.finally(() => {
      if (this.#updates.get(vaultPath) === next) this.#updates.delete(vaultPath);
    });
  }

  async #update(vaultPath: string, updates: FrontmatterData): Promise<string | null> {
    for (let attempt = 0; ; attempt++) {
      // A note over the size limit is not held whole to be updated: its head is rewritten, the rest copied.
      const stable = await this.#readStable(vaultPath, 120, this.maxNoteBytes);
      if (stable === null) return null;
      const { read, version: before } = stable;
      if (!('raw' in read)) {
        const head = await this.#updateLarge(vaultPath, read.head, updates, attempt < 3 ? before : undefined);
        if (head !== null) this.#onUpdate?.(vaultPath, updates);
        if (head !== null) return head;
        continue;
      }
      const raw = read.raw;
      // Only the fields we set are redacted: the rest of the note is the user's, kept byte for byte.
      const next = updateFrontmatterText(raw, redactDeep(updates, this.redact));
      if (next === raw) return next;
      if (await this.#writeOver(vaultPath, raw, next, attempt < 3 ? before : undefined)) {
        this.#onUpdate?.(vaultPath, updates);
        return next;
      }
    }
  }

  async #edit(vaultPath: string, change: (raw: string) => string | null): Promise<string | null> {
    for (let attempt = 0; ; attempt++) {
      const stable = await this.#readStable(vaultPath, 120, this.maxNoteBytes);
      if (stable === null || !('raw' in stable.read)) return null;
      const raw = stable.read.raw;
      const next = change(raw);
      if (next === null || next === raw) return raw;
      if (await this.#writeOver(vaultPath, raw, next, attempt < 3 ? stable.version : undefined)) return next;
    }
  }

  /**
   * `next` written over `raw`, the note as read at `before`: false, and nothing written, when it has changed
   * since (a save landing between our read and our rename would be lost: the caller redoes it from the new text).
   */
  #writeOver(vaultPath: string, raw: string, next: string, before: string | undefined): Promise<boolean> {
    // The user saved after our last write: the watcher has (or will have) an event for that save, and
    // it must not be dropped as ours, so this write is not remembered as ours either.
    const userEdited = this.ownWrites.hasWritten(vaultPath) && !this.ownWrites.isOwn(vaultPath, raw);
    return this.#write(vaultPath, next, { wake: userEdited, unchangedSince: before });
  }

  /**
   * A note too big to hold: the new frontmatter, then the rest of the file copied across as it is, a chunk
   * at a time. It is not remembered as our write (that needs the whole text): the watcher sees it, and
   * intake reads its head and finds nothing to do. Returns the new frontmatter, or null when the note
   * changed meanwhile.
   */
  async #updateLarge(vaultPath: string, head: string, updates: FrontmatterData, unchangedSince: string | undefined): Promise<string | null> {
    const block = locateFrontmatter(head);
    const front = block ? head.slice(0, block.bodyStart) : '';
    const next = updateFrontmatterText(front, redactDeep(updates, this.redact));
    const source = this.absolute(vaultPath);
    // The rest is copied from the byte where the frontmatter ends as read: only right if it decoded as it is.
    const start = Buffer.from(front, 'utf8');
    const onDisk = Buffer.alloc(start.length);
    const reader = await open(source, 'r');
    try {
      await reader.read(onDisk, 0, start.length, 0);
    } finally {
      await reader.close();
    }
    if (!onDisk.equals(start)) throw new Error(`${vaultPath}: its frontmatter is not plain UTF-8 text, so it cannot be updated in place`);
    const written = await this.#writeWith(vaultPath, undefined, { unchangedSince }, async (handle) => {
      await handle.writeFile(next, 'utf8');
      for await (const chunk of createReadStream(source, { start: start.length })) await handle.write(chunk as Buffer);
    });
    return written ? next : null;
  }

  /** This version of the note arrived whole (a rename into place): reading it need not wait for quiet. */
  trustWhole(vaultPath: string, version: string): void {
    this.#whole.set(vaultPath, version);
  }

  version(vaultPath: string): Promise<string | null> {
    return this.#version(vaultPath);
  }

  /**
   * `mkdir -p` below the vault folder (never the vault folder itself: util/make-folder.ts), once per
   * folder for the life of the store (two per write otherwise). A folder removed meanwhile is seen: a
   * cheap stat confirms it still exists.
   */
  async #folder(dir: string): Promise<void> {
    if (this.#folders.has(dir) && existsSync(dir)) return;
    await makeFolderBelow(this.#realRoot, dir);
    this.#folders.add(dir);
  }

  /** Size and mtime: enough to notice that someone wrote the note meanwhile. */
  async #version(vaultPath: string): Promise<string | null> {
    try {
      const s = await stat(this.absolute(vaultPath));
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return null;
    }
  }

  async removeStaleTemp(): Promise<void> {
    // Through absolute(): a `.scriptorium` linked elsewhere must not have a folder there emptied.
    await rm(this.absolute(`${STATE_DIR}/tmp`), { recursive: true, force: true });
  }
}

async function tooBig(handle: FileHandle, size: number): Promise<BoundedRead> {
  const buffer = Buffer.alloc(NOTE_HEAD_BYTES);
  const { bytesRead } = await handle.read(buffer, 0, NOTE_HEAD_BYTES, 0);
  return { tooBig: true, size, head: buffer.subarray(0, bytesRead).toString('utf8') };
}
