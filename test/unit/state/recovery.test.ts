// Recovery on its own: journal records as a crash left them, notes as they were, no daemon.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../../src/state/journal.ts';
import { recoverFromJournal } from '../../../src/state/recovery.ts';
import { newThreadNote } from '../../../src/threads/thread-note.ts';
import { writeTurnNotes } from '../../../src/turns/turn-notes.ts';
import { createStageKit, type StageKit } from '../../helpers/stage-kit.ts';
import { inboundNote } from '../../helpers/temp-vault.ts';
import { resultRecord } from '../../helpers/result-record.ts';

let kit: StageKit;
beforeEach(async () => {
  kit = await createStageKit();
  await kit.defineAgent('helper');
});
afterEach(() => kit.cleanup());

const recovery = () => ({ ...kit.turnNotes, replay: (record: ResultRecord) => writeTurnNotes(kit.turnNotes, record), writeLater: () => {} });

const AT = '2026-06-01T10:00:05+00:00';
const STARTED = '2026-06-01T10:00:00+00:00';

const result = (over: Partial<ResultRecord> = {}) => resultRecord({ startedAt: STARTED, at: AT, ...over });

async function running(): Promise<void> {
  await kit.vault.write('Inbox/q.md', inboundNote('helper', 'q, please.', { status: 'running', started_at: STARTED }));
  await kit.vault.write('Threads/helper.md', newThreadNote('helper', 'single-threaded', new Date(STARTED)));
}

describe('recovery after a crash', () => {
  it('a turn that ran but whose notes were not written gets them now, once', async () => {
    await running();
    await kit.journal.append({ t: 'started', msg: 'Inbox/q.md', agent: 'helper', thread: 'Threads/helper.md', startedAt: STARTED, at: STARTED });
    await kit.journal.append(result());
    await recoverFromJournal(recovery());
    const fields = await kit.vault.fields('Inbox/q.md');
    expect(fields).toMatchObject({ status: 'done', reply: '[[Outbox/2026-06-01 100005 helper - q]]' });
    expect((await kit.vault.body('Outbox/2026-06-01 100005 helper - q.md')).trim()).toBe('The answer.');
    expect(await kit.vault.fields('Threads/helper.md')).toMatchObject({ turn_count: 1, session: '11111111-1111-1111-1111-111111111111' });
    expect(await kit.journal.readAll()).toEqual([]);

    // The same record replayed (a crash during the replay): nothing is written twice.
    const thread = await kit.vault.read('Threads/helper.md');
    await kit.journal.append(result());
    await recoverFromJournal(recovery());
    expect(await kit.vault.read('Threads/helper.md')).toBe(thread);
    expect(await kit.vault.list('Outbox')).toEqual(['Outbox/2026-06-01 100005 helper - q.md']);
  });

  it('a turn cut off mid-run runs again, marked recovered; a third cut ends it in error for the user', async () => {
    await running();
    const started = { t: 'started' as const, msg: 'Inbox/q.md', agent: 'helper', thread: 'Threads/helper.md', startedAt: STARTED, at: STARTED };
    await kit.journal.append(started);
    await recoverFromJournal(recovery());
    expect(await kit.vault.fields('Inbox/q.md')).toMatchObject({ status: 'queued', recovered: true });
    expect((await kit.journal.readAll()).map((r) => r.t)).toEqual(['started']);

    await kit.journal.append(started);
    await kit.journal.append(started);
    await recoverFromJournal(recovery());
    const fields = await kit.vault.fields('Inbox/q.md');
    expect(fields.status).toBe('error');
    expect(String(fields.error)).toMatch(/^Scriptorium stopped 3 times while this message was running/);
    expect(kit.ended).toEqual(['Inbox/q.md']);
    expect(await kit.journal.readAll()).toEqual([]);
  });

  it('a third cut whose error cannot be written keeps its records: it is not run a fourth time', async () => {
    await running();
    const started = { t: 'started' as const, msg: 'Inbox/q.md', agent: 'helper', thread: 'Threads/helper.md', startedAt: STARTED, at: STARTED };
    for (let i = 0; i < 3; i++) await kit.journal.append(started);
    // Where the store puts its temp files there is a file: every note write fails.
    await kit.vault.write('.scriptorium/tmp', 'not a folder');
    await recoverFromJournal(recovery());
    expect((await kit.vault.fields('Inbox/q.md')).status).toBe('running');
    expect((await kit.journal.readAll()).map((r) => r.t)).toEqual(['started', 'started', 'started']);
    expect(kit.logger.lines.map((l) => l.msg)).toContain('recovery failed for a message');
  });

  it('a message the user moved on (finished, deleted) is left alone; one waiting for its retry keeps its record', async () => {
    await kit.vault.write('Inbox/q.md', inboundNote('helper', 'q, please.', { status: 'done' }));
    await kit.journal.append({ t: 'started', msg: 'Inbox/q.md', agent: 'helper', thread: 'Threads/helper.md', startedAt: STARTED, at: STARTED });
    await kit.vault.write('Inbox/r.md', inboundNote('helper', 'r, please.', { status: 'queued', retry_at: AT, retry_attempt: 1 }));
    await kit.journal.append({ t: 'retry', msg: 'Inbox/r.md', attempt: 1, retryAt: AT, error: 'overloaded', at: STARTED });
    await recoverFromJournal(recovery());
    expect((await kit.vault.fields('Inbox/q.md')).status).toBe('done');
    expect((await kit.journal.readAll()).map((r) => `${r.t} ${r.msg}`)).toEqual(['retry Inbox/r.md']);
  });

  it('a message waiting for its retry that was deleted or moved on loses its records: they are not kept for ever', async () => {
    await kit.vault.write('Inbox/r.md', inboundNote('helper', 'r, please.', { status: 'queued', retry_at: AT, retry_attempt: 1 }));
    await kit.vault.write('Inbox/s.md', inboundNote('helper', 's, please.', { status: 'cancelled', retry_at: AT, retry_attempt: 1 }));
    for (const msg of ['Inbox/r.md', 'Inbox/s.md', 'Inbox/gone.md']) {
      await kit.journal.append({ t: 'started', msg, agent: 'helper', thread: 'Threads/helper.md', startedAt: STARTED, at: STARTED });
      await kit.journal.append({ t: 'retry', msg, attempt: 1, retryAt: AT, error: 'overloaded', at: STARTED });
    }
    await recoverFromJournal(recovery());
    expect((await kit.journal.readAll()).map((r) => `${r.t} ${r.msg}`)).toEqual(['started Inbox/r.md', 'retry Inbox/r.md']);
    expect((await kit.vault.fields('Inbox/s.md')).status).toBe('cancelled');
  });

  it('a reset while the turn ran stands when its notes are written: the thread keeps no session', async () => {
    await running();
    // The thread had a session when the turn began; `scriptorium reset --force` cleared it meanwhile.
    // The thread note as the reset left it: no session.
    await kit.vault.write('Threads/helper.md', newThreadNote('helper', 'single-threaded', new Date(STARTED)));
    const before = { ...result().threadBefore, turnCount: 3, session: '00000000-0000-0000-0000-000000000000' };
    await kit.journal.append(result({ threadBefore: before, session: before.session }));
    await recoverFromJournal(recovery());
    expect(await kit.vault.fields('Threads/helper.md')).toMatchObject({ session: '', turn_count: 4 });
  });
});
