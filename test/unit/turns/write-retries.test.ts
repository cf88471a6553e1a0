// A full disk after a turn: its notes wait and are written once the disk has room again, the turn is not
// run again, and the message never stays `running`. The store and the journal fail through a seam.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageOutcomes } from '../../../src/messages/outcome.ts';
import { readMessageNote } from '../../../src/messages/read-message.ts';
import type { DaemonEvent } from '../../../src/state/events.ts';
import { Journal, type JournalRecord } from '../../../src/state/journal.ts';
import { newThreadNote, readThreadState } from '../../../src/threads/thread-note.ts';
import { recordTurn, type RecordDeps } from '../../../src/turns/record-turn.ts';
import { WriteRetries } from '../../../src/turns/write-retries.ts';
import type { FrontmatterData } from '../../../src/vault/frontmatter.ts';
import { NoteStore } from '../../../src/vault/note-store.ts';
import { WriteHealth } from '../../../src/vault/write-health.ts';
import { turnResult } from '../../helpers/gated-runner.ts';
import { createStageKit, type StageKit } from '../../helpers/stage-kit.ts';
import { inboundNote } from '../../helpers/temp-vault.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const STARTED = '2026-06-01T10:00:00+00:00';
const noSpace = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** The real store, failing every write as a full disk does while `full` is set. */
class FullDiskStore extends NoteStore {
  full = true;
  /** Only frontmatter updates fail (the message's `done`): the reply and the thread get written. */
  updatesOnly = false;
  override write(vaultPath: string, content: string, options?: { wake?: boolean }): Promise<boolean> {
    return this.full && !this.updatesOnly ? this.#fail(vaultPath) : super.write(vaultPath, content, options);
  }
  override update(vaultPath: string, updates: FrontmatterData): Promise<string | null> {
    return this.full ? this.#fail(vaultPath) : super.update(vaultPath, updates);
  }
  /** Writes refused so far. */
  refused = 0;
  #fail(vaultPath: string): Promise<never> {
    this.refused++;
    // As the real store reports a write's failure to its health.
    return Promise.reject(noSpace()).catch((error: unknown) => {
      health.failed(error, vaultPath);
      throw error;
    });
  }
}

class FullDiskJournal extends Journal {
  full = false;
  override append(record: JournalRecord): Promise<void> {
    return this.full ? Promise.reject(noSpace()) : super.append(record);
  }
}

let kit: StageKit;
let health: WriteHealth;
let store: FullDiskStore;
let journal: FullDiskJournal;
let retries: WriteRetries;
let events: DaemonEvent[];
let deps: RecordDeps;

beforeEach(async () => {
  kit = await createStageKit();
  await kit.defineAgent('helper');
  await kit.vault.write('Inbox/q.md', inboundNote('helper', 'q, please.', { status: 'running', started_at: STARTED }));
  await kit.vault.write('Threads/helper.md', newThreadNote('helper', 'single-threaded', new Date(STARTED)));
  health = new WriteHealth(kit.vault.root, kit.logger, { retry: () => retries.now(), waiting: () => retries.size > 0 });
  store = new FullDiskStore(kit.vault.root, { health });
  journal = new FullDiskJournal(kit.vault.root);
  const outcomes = new MessageOutcomes({ store, clock: kit.clock, logger: kit.logger, ended: async (p) => void kit.ended.push(p) });
  // Backoff far beyond the test: only writes succeeding again (health → now()) or a test's own now() retry.
  retries = new WriteRetries({ logger: kit.logger, health, baseMs: 3_600_000, maxMs: 3_600_000, giveUp: (p, e) => outcomes.fail(p, 'running', e) });
  events = [];
  kit.events.subscribe((event) => void events.push(event));
  deps = {
    ...kit.turnNotes,
    store,
    journal,
    outcomes,
    maxAttempts: 3,
    retryBaseMs: 60_000,
    recheckAt: () => {},
    writeLater: (p, write, error) => retries.later(p, write, error),
  };
});
afterEach(async () => {
  retries.close();
  await kit.cleanup();
});

async function finishTurn(): Promise<void> {
  const message = (await readMessageNote(kit.store, 'Inbox/q.md'))!.message;
  const agent = kit.registry.lookup('helper');
  if (agent.kind !== 'ok') throw new Error('helper is not defined');
  const thread = readThreadState({});
  await recordTurn(deps, { agent: agent.definition, message, threadPath: 'Threads/helper.md', thread, result: turnResult({ text: 'The answer.' }), notices: [], sessionTried: 'sess', startedAt: STARTED });
}

/** A real write succeeding: as any later note write of the daemon would, once there is room. */
async function diskHasRoomAgain(): Promise<void> {
  store.full = false;
  journal.full = false;
  await store.write('Notes/other.md', 'another note\n');
}

describe('notes a full disk kept from being written', () => {
  it('wait with the turn ended, then are written once writes succeed again: the message ends done', async () => {
    await finishTurn();
    expect((await kit.vault.fields('Inbox/q.md')).status).toBe('running');
    expect(retries.has('Inbox/q.md')).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['turn-unwritten']);
    expect((await kit.journal.readAll()).map((r) => r.t)).toEqual(['result']);

    await diskHasRoomAgain();
    await waitFor(async () => (await kit.vault.fields('Inbox/q.md')).status === 'done', { what: 'the message done' });
    // Its notes' write returns a moment after the `done` lands: the rest of it (journal, counts) by then.
    await waitFor(() => retries.size === 0, { what: 'no write waiting' });
    const fields = await kit.vault.fields('Inbox/q.md');
    expect(await kit.vault.read(`${String(fields.reply).slice(2, -2)}.md`)).toContain('The answer.');
    expect(retries.size).toBe(0);
    expect(kit.counted).toHaveLength(1);
    expect((await kit.journal.readAll()).map((r) => r.t)).toEqual(['result', 'finished']);
  });

  it('with the journal full too, the result is journaled first when written again', async () => {
    journal.full = true;
    await finishTurn();
    expect(await kit.journal.readAll()).toEqual([]);
    await diskHasRoomAgain();
    await waitFor(async () => (await kit.vault.fields('Inbox/q.md')).status === 'done', { what: 'the message done' });
    // Its notes' write returns a moment after the `done` lands: the rest of it (journal, counts) by then.
    await waitFor(() => retries.size === 0, { what: 'no write waiting' });
    expect((await kit.journal.readAll()).map((r) => r.t)).toEqual(['result', 'finished']);
  });

  it('written half (the reply and the thread, not the message): the rest is written, the turn counted once', async () => {
    store.updatesOnly = true;
    await finishTurn();
    expect(await kit.vault.list('Outbox')).toHaveLength(1);
    // Tried again while the disk still refuses: the reply and the thread are there, nothing is counted again.
    const refused = store.refused;
    retries.now();
    await waitFor(() => store.refused > refused, { what: 'a second try refused' });
    await diskHasRoomAgain();
    await waitFor(async () => (await kit.vault.fields('Inbox/q.md')).status === 'done', { what: 'the message done' });
    // Its notes' write returns a moment after the `done` lands: the rest of it (journal, counts) by then.
    await waitFor(() => retries.size === 0, { what: 'no write waiting' });
    expect(kit.counted).toHaveLength(1);
    expect(events.filter((e) => e.type === 'turn-finished')).toHaveLength(1);
    expect((await kit.vault.read('Threads/helper.md')).match(/The answer\./g)).toHaveLength(1);
  });

  it('is said once in the log however many notes fail, and once when writes succeed again', async () => {
    await finishTurn();
    for (let i = 0; i < 3; i++) await store.write(`Notes/n${i}.md`, 'x\n').catch(() => {});
    retries.now();
    expect(kit.logger.lines.filter((l) => l.msg.startsWith('cannot write to the vault'))).toHaveLength(1);
    expect(kit.logger.lines.filter((l) => l.level === 'error' && l.msg === 'could not write the error onto the note')).toEqual([]);
    await diskHasRoomAgain();
    await waitFor(() => retries.size === 0, { what: 'no write waiting' });
    expect(kit.logger.lines.filter((l) => l.msg === 'the vault can be written again')).toHaveLength(1);
  });

  it('a disk that takes small notes but refuses others is said once, not at every write that gets through', async () => {
    store.updatesOnly = true;
    await finishTurn();
    for (let i = 0; i < 3; i++) {
      const refused = store.refused;
      await store.write(`Notes/small${i}.md`, 'fits\n'); // gets through: the waiting notes are tried at once…
      await waitFor(() => store.refused > refused, { what: 'the waiting notes tried and refused again' });
    }
    const said = (msg: string) => kit.logger.lines.filter((l) => l.msg === msg);
    // …and refused again, which is not news.
    expect(said('cannot write to the vault; notes are written once it can be written again')).toHaveLength(1);
    expect(said('the vault can be written again')).toEqual([]);
    await diskHasRoomAgain();
    await waitFor(async () => (await kit.vault.fields('Inbox/q.md')).status === 'done', { what: 'the message done' });
    // Said once the last waiting write has returned, a moment after the message's `done` is on disk.
    await waitFor(() => retries.size === 0, { what: 'no write waiting' });
    expect(said('the vault can be written again')).toHaveLength(1);
    expect(said('cannot write to the vault; notes are written once it can be written again')).toHaveLength(1);
  });

  it('a write failing for another reason ends the message in error after a few tries', async () => {
    const outcomes = new MessageOutcomes({ store: kit.store, clock: kit.clock, logger: kit.logger, ended: async () => {} });
    retries.close();
    retries = new WriteRetries({ logger: kit.logger, health, baseMs: 1, maxMs: 1, giveUp: (p, e) => outcomes.fail(p, 'running', e) });
    let tries = 0;
    const write = async () => {
      tries++;
      throw new Error('EISDIR: illegal operation on a directory');
    };
    retries.later('Inbox/q.md', write, new Error('EISDIR: illegal operation on a directory'));
    await waitFor(async () => (await kit.vault.fields('Inbox/q.md')).status === 'error', { what: 'the message in error' });
    expect(String((await kit.vault.fields('Inbox/q.md')).error)).toContain("could not write this message's notes: EISDIR");
    expect(retries.has('Inbox/q.md')).toBe(false);
    expect(tries).toBe(2);
  });
});
