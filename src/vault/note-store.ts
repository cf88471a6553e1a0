import { randomUUID } from 'node:crypto';
import { lstat, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OwnWrites } from './own-writes.ts';
import { resolveInVault } from './paths.ts';
import { OutsideVaultError, realNotePath, realPathOf } from './real-path.ts';
import { locateFrontmatter, parseFrontmatter, stringifyNote, updateFrontmatterText, type FrontmatterData } from './frontmatter.ts';
import { createRedactor, redactDeep, type Redact } from '../util/redact.ts';
import { makeFolderBelow } from '../util/make-folder.ts';
import type { WriteHealth } from './write-health.ts';

export const STATE_DIR = '.scriptorium';

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

  readonly root: string;
  /** The vault's real path, resolved once (the vault folder itself may be a symbolic link). */
  readonly #realRoot: string;
  /** Applied to everything Scriptorium writes: no secret from its environment lands in a note. */
  readonly redact: Redact;

  readonly #onUpdate: ((vaultPath: string, updates: FrontmatterData) => void) | undefined;
  readonly #health: WriteHealth | undefined;

  /**
   * `onUpdate`: told of every frontmatter update written (the daemon keeps its list of notes in error with
   * it). `health`: told of every write's outcome, so a full or read-only disk is reported once.
   */
  constructor(root: string, options: { redact?: Redact; onUpdate?: (vaultPath: string, updates: FrontmatterData) => void; health?: WriteHealth } = {}) {
    this.root = root;
    this.#realRoot = realPathOf(root);
    this.redact = options.redact ?? createRedactor();
    this.#onUpdate = options.onUpdate;
    this.#health = options.health;
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
    return (await this.#readStable(vaultPath, quietMs))?.raw ?? null;
  }

  async #readStable(vaultPath: string, quietMs: number): Promise<{ raw: string; version: string } | null> {
    // Said here, not taken for "no note": #version reads a note outside the vault as absent.
    this.absolute(vaultPath);
    for (let round = 0; round < 8; round++) {
      const before = await this.#version(vaultPath);
      if (before === null) return null;
      const raw = await this.readIfExists(vaultPath);
      if (raw === null) return null;
      if ((await this.#version(vaultPath)) !== before) continue;
      // Our own last write is whole (it was renamed into place): no need to wait.
      if (this.ownWrites.isOwn(vaultPath, raw)) return { raw, version: before };
      if (this.#whole.get(vaultPath) === before) return { raw, version: before };
      const age = Date.now() - Number(before.split(':')[1]);
      if (age >= quietMs) return { raw, version: before };
      await new Promise((resolve) => setTimeout(resolve, quietMs - Math.max(age, 0)));
    }
    const raw = await this.readIfExists(vaultPath);
    const version = await this.#version(vaultPath);
    return raw === null || version === null ? null : { raw, version };
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
    return this.#write(vaultPath, this.#redactNote(content), options);
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

  async #write(vaultPath: string, content: string, options: { wake?: boolean; unchangedSince?: string | null | undefined }): Promise<boolean> {
    try {
      const written = await this.#writeOnce(vaultPath, content, options);
      this.#health?.succeeded();
      return written;
    } catch (error) {
      this.#health?.failed(error, vaultPath);
      throw error;
    }
  }

  async #writeOnce(vaultPath: string, content: string, options: { wake?: boolean; unchangedSince?: string | null | undefined }): Promise<boolean> {
    // Both places are checked before any folder is made: a linked `Outbox/` (or `.scriptorium/`) must not
    // get so much as a folder written outside the vault.
    const target = this.absolute(vaultPath);
    const tmp = this.absolute(`${STATE_DIR}/tmp/${randomUUID()}.tmp`);
    await this.#folder(path.dirname(tmp));
    await this.#folder(path.dirname(target));
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(content, 'utf8');
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
    // Remember before the rename: the watcher may see the new file before rename() returns.
    if (options.wake) this.ownWrites.forget(vaultPath);
    else this.ownWrites.remember(vaultPath, content);
    try {
      // Checked again just before the rename: a folder swapped for a link meanwhile is caught here.
      await rename(tmp, this.absolute(vaultPath));
    } catch (error) {
      this.ownWrites.forget(vaultPath);
      await rm(tmp, { force: true });
      throw error;
    }
    return true;
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
    // One read-modify-write of a note at a time in this process (a turn's status and a callback's stamp
    // on the same note must not overwrite each other); other writers are caught by the version check.
    const previous = this.#updates.get(vaultPath) ?? Promise.resolve();
    const next = previous.then(
      () => this.#update(vaultPath, updates),
      () => this.#update(vaultPath, updates),
    );
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
      const read = await this.#readStable(vaultPath, 120);
      if (read === null) return null;
      const { raw, version: before } = read;
      // Only the fields we set are redacted: the rest of the note is the user's, kept byte for byte.
      const next = updateFrontmatterText(raw, redactDeep(updates, this.redact));
      if (next === raw) return next;
      // The user saved after our last write: the watcher has (or will have) an event for that save, and
      // it must not be dropped as ours, so this write is not remembered as ours either.
      const userEdited = this.ownWrites.hasWritten(vaultPath) && !this.ownWrites.isOwn(vaultPath, raw);
      const written = await this.#write(vaultPath, next, {
        wake: userEdited,
        // A save landing between our read and our rename would be lost: check, and redo from the new text.
        unchangedSince: attempt < 3 ? before : undefined,
      });
      if (written) {
        this.#onUpdate?.(vaultPath, updates);
        return next;
      }
    }
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
