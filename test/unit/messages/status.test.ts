import { describe, it, expect } from 'vitest';
import { canMove, MESSAGE_STATUSES, readStatus } from '../../../src/messages/status.ts';

describe('readStatus', () => {
  it('an absent or empty status means ready', () => {
    expect(readStatus(undefined)).toBe('ready');
    expect(readStatus(null)).toBe('ready');
    expect(readStatus('')).toBe('ready');
  });

  it('is case-insensitive and ignores surrounding spaces', () => {
    expect(readStatus('READY')).toBe('ready');
    expect(readStatus(' Done ')).toBe('done');
    expect(readStatus('Draft')).toBe('draft');
  });

  it('reads every protocol status', () => {
    for (const status of ['draft', 'ready', 'queued', 'running', 'waiting', 'done', 'error', 'cancelled']) expect(readStatus(status)).toBe(status);
    expect(MESSAGE_STATUSES).toEqual(['draft', 'ready', 'queued', 'running', 'waiting', 'done', 'error', 'cancelled']);
  });

  it('an unknown value is null, not a guess', () => {
    expect(readStatus('sent')).toBeNull();
    expect(readStatus('canceled')).toBeNull();
    expect(readStatus(5)).toBeNull();
    expect(readStatus(true)).toBeNull();
    expect(readStatus(['ready'])).toBeNull();
  });
});

describe('canMove', () => {
  const moves = MESSAGE_STATUSES.flatMap((from) => MESSAGE_STATUSES.filter((to) => canMove(from, to)).map((to) => `${from}->${to}`));

  it('Scriptorium moves a message only along ready → queued → running → done | error, back to queued for a retry, and through waiting for an answer', () => {
    expect(moves).toEqual([
      'ready->queued',
      'ready->error',
      'queued->queued',
      'queued->running',
      'queued->error',
      'running->queued',
      'running->waiting',
      'running->done',
      'running->error',
      'waiting->queued',
      'waiting->error',
    ]);
  });

  it('never touches a draft, a cancelled message or a finished one', () => {
    for (const from of ['draft', 'cancelled', 'done', 'error'] as const) {
      for (const to of MESSAGE_STATUSES) expect(canMove(from, to)).toBe(false);
    }
  });

  it('never runs a message without queueing it first, and never reopens one', () => {
    expect(canMove('ready', 'running')).toBe(false);
    expect(canMove('running', 'ready')).toBe(false);
    expect(canMove('done', 'queued')).toBe(false);
    expect(canMove('error', 'queued')).toBe(false);
  });
});
