import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStageKit, type StageKit } from '../../helpers/stage-kit.ts';
import { inboundNote } from '../../helpers/temp-vault.ts';

let kit: StageKit;
beforeEach(async () => {
  kit = await createStageKit();
});
afterEach(() => kit.cleanup());

describe('message outcomes', () => {
  it('a move the status table does not allow is refused, and nothing is written', async () => {
    const path = await kit.vault.writeMessage('q', 'helper', 'Hi.', { status: 'done' });
    const before = await kit.vault.read(path);
    await expect(kit.outcomes.queue(path, 'done')).rejects.toThrow('Inbox/q.md: Scriptorium may not move a message from done to queued');
    await expect(kit.outcomes.start(path, 'running' as 'queued', {})).rejects.toThrow(/from running to running/);
    expect(await kit.vault.read(path)).toBe(before);
  });

  it('a message taken at once passes through queued on its way to running, in one write', async () => {
    const path = await kit.vault.writeMessage('q', 'helper', 'Hi.');
    await kit.outcomes.start(path, 'ready', { started_at: '2026-06-01T10:00:00+00:00' }, { queued_at: '2026-06-01T10:00:00+00:00' });
    expect(await kit.vault.read(path)).toBe(
      inboundNote('helper', 'Hi.').replace('---\nHi.', 'queued_at: 2026-06-01T10:00:00+00:00\nstatus: running\nstarted_at: 2026-06-01T10:00:00+00:00\n---\nHi.'),
    );
  });

  it('a failure puts the sentence on the note and tells delegation the message ended', async () => {
    const path = await kit.vault.writeMessage('q', 'helper', 'Hi.', { status: 'queued' });
    await kit.outcomes.fail(path, 'queued', 'no agent named "helper" any more');
    expect(await kit.vault.fields(path)).toMatchObject({ status: 'error', error: 'no agent named "helper" any more', finished_at: '2026-06-01T10:00:00+00:00' });
    expect(kit.ended).toEqual([path]);
  });

  it("a failure that cannot be written is logged, and never thrown at the caller", async () => {
    await kit.vault.write('Inbox/q.md', 'placeholder');
    // A folder where the store would put its temp file: every write fails.
    await kit.vault.write('.scriptorium/tmp', 'not a folder');
    await expect(kit.outcomes.fail('Inbox/q.md', 'ready', 'refused')).resolves.toBe(false);
    expect(kit.logger.lines.map((l) => l.msg)).toContain('could not write the error onto the note');
    expect(kit.ended).toEqual([]);
  });

  it("a turn stopped by the user's cancel keeps their cancelled; a finished turn links its reply", async () => {
    const cancelled = await kit.vault.writeMessage('c', 'helper', 'Stop.', { status: 'cancelled' });
    await kit.outcomes.finish(cancelled, { ok: false, cancelled: true, at: '2026-06-01T10:00:00+00:00', reply: 'Outbox/c.md', error: 'Cancelled.' });
    expect(await kit.vault.fields(cancelled)).toMatchObject({ status: 'cancelled', reply: '[[Outbox/c]]' });
    expect((await kit.vault.fields(cancelled)).error).toBeUndefined();
    // The turn's own `running` write landed over the user's save: their cancelled is written back.
    const overwritten = await kit.vault.writeMessage('o', 'helper', 'Stop.', { status: 'running' });
    await kit.outcomes.finish(overwritten, { ok: false, cancelled: true, at: '2026-06-01T10:00:00+00:00', reply: 'Outbox/o.md', error: 'Cancelled.' });
    expect((await kit.vault.fields(overwritten)).status).toBe('cancelled');
    expect(await kit.outcomes.finish('Inbox/gone.md', { ok: true, cancelled: false, at: '2026-06-01T10:00:00+00:00', reply: 'Outbox/g.md', error: undefined })).toBe(false);
  });

  it('an error on a note whose status is not ours is written only when it changes', async () => {
    const path = await kit.vault.writeMessage('q', 'helper', 'Hi.', { status: 'sent' });
    await kit.outcomes.showError(path, undefined, 'status "sent" is not one of …');
    const once = await kit.vault.read(path);
    await kit.outcomes.showError(path, 'status "sent" is not one of …', 'status "sent" is not one of …');
    expect(await kit.vault.read(path)).toBe(once);
    expect((await kit.vault.fields(path)).status).toBe('sent');
  });
});
