import { describe, expect, it } from 'vitest';
import { changedAfterRunText, RanTexts } from '../../../src/messages/changed-after-run.ts';

const ran = { tags: ['agent/message/inbound'], to: 'scribe', status: 'running', started_at: '2026-06-01T10:00:00+00:00' };

describe('RanTexts', () => {
  it('a note still saying what its turn ran has not changed, whatever Scriptorium stamped on it since', () => {
    const texts = new RanTexts();
    texts.ran('Inbox/q.md', ran, 'The question.', '2026-06-01T10:00:01+00:00');
    expect(texts.changedSince('Inbox/q.md', { ...ran, status: 'done', reply: '[[Outbox/r]]', finished_at: 'x' }, '\nThe question.\n\n')).toBeUndefined();
    // Obsidian may write the fields in another order.
    expect(texts.changedSince('Inbox/q.md', { status: 'ready', to: 'scribe', tags: ['agent/message/inbound'] }, 'The question.')).toBeUndefined();
  });

  it('more text, or another field a person writes, is a change: the time the turn read the note is given', () => {
    const texts = new RanTexts();
    texts.ran('Inbox/q.md', ran, 'The question.', '2026-06-01T10:00:01+00:00');
    expect(texts.changedSince('Inbox/q.md', ran, 'The question.\nAnd more.')).toBe('2026-06-01T10:00:01+00:00');
    expect(texts.changedSince('Inbox/q.md', { ...ran, to: 'other' }, 'The question.')).toBe('2026-06-01T10:00:01+00:00');
  });

  it('a turn starting forgets what the one before ran; a message no turn ran here is never said changed', () => {
    const texts = new RanTexts();
    texts.ran('Inbox/q.md', ran, 'The question.', 'then');
    texts.starting('Inbox/q.md');
    expect(texts.changedSince('Inbox/q.md', ran, 'Other text.')).toBeUndefined();
    expect(texts.changedSince('Inbox/never.md', ran, 'Any text.')).toBeUndefined();
  });

  it('says when, and how to run the note as it is now', () => {
    expect(changedAfterRunText('2026-06-01T10:05:00+00:00', '2026-06-01T10:00:01+00:00')).toBe(
      '2026-06-01T10:05:00+00:00: this note changed after its turn read it (at 2026-06-01T10:00:01+00:00), so the turn ran the earlier text and the change has not run. Set status: ready to run the note as it is now.',
    );
  });
});
