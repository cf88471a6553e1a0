import { describe, expect, it } from 'vitest';
import { decideGroup, type GroupMember } from '../../../src/delegation/fan-in.ts';

const NOW = new Date(Date.UTC(2026, 10, 21, 12, 0, 0));

const member = (over: Partial<GroupMember> = {}): GroupMember => ({
  path: 'Inbox/a.md',
  finished: false,
  ok: false,
  reported: false,
  size: 2,
  deadline: undefined,
  ...over,
});
const done = (path: string, over: Partial<GroupMember> = {}) => member({ path, finished: true, ok: true, ...over });
const failed = (path: string, over: Partial<GroupMember> = {}) => member({ path, finished: true, ok: false, ...over });

describe('decideGroup', () => {
  it('waits while any of the group is unfinished', () => {
    expect(decideGroup([member({ path: 'a' }), member({ path: 'b' })], NOW)).toEqual({ fire: false });
    expect(decideGroup([done('a'), member({ path: 'b' })], NOW)).toEqual({ fire: false });
  });

  it("fires 'complete' once all members have finished", () => {
    expect(decideGroup([done('a'), done('b')], NOW)).toEqual({ fire: true, why: 'complete' });
  });

  it("fires 'complete' when everything has finished even if one failed", () => {
    expect(decideGroup([done('a'), failed('b')], NOW)).toEqual({ fire: true, why: 'complete' });
  });

  it("fires 'failed' as soon as one member failed, without waiting for the rest", () => {
    expect(decideGroup([failed('a', { size: 3 }), member({ path: 'b', size: 3 }), member({ path: 'c', size: 3 })], NOW)).toEqual({ fire: true, why: 'failed' });
  });

  it("fires 'deadline' at the deadline and after it, not before", () => {
    const deadline = new Date(NOW.getTime() + 60_000);
    const group = [done('a', { deadline }), member({ path: 'b', deadline })];
    expect(decideGroup(group, new Date(deadline.getTime() - 1))).toEqual({ fire: false });
    expect(decideGroup(group, deadline)).toEqual({ fire: true, why: 'deadline' });
    expect(decideGroup(group, new Date(deadline.getTime() + 3_600_000))).toEqual({ fire: true, why: 'deadline' });
  });

  it('the earliest deadline among the members counts', () => {
    const early = new Date(NOW.getTime() - 1000);
    const late = new Date(NOW.getTime() + 3_600_000);
    expect(decideGroup([member({ path: 'a', deadline: late }), member({ path: 'b', deadline: early })], NOW)).toEqual({ fire: true, why: 'deadline' });
  });

  it('a deadline fires even when nothing has finished yet', () => {
    expect(decideGroup([member({ path: 'a', deadline: NOW })], NOW)).toEqual({ fire: true, why: 'deadline' });
  });

  it('reported members are out of the decision: a group never fires twice for them, and a reused id starts a new round', () => {
    expect(decideGroup([done('a', { reported: true }), done('b', { reported: true })], NOW)).toEqual({ fire: false });
    // b alone is this round: one of two finished, none failed, no deadline: it waits.
    expect(decideGroup([failed('a', { reported: true }), done('b')], NOW)).toEqual({ fire: false });
    // The same id used again later: its own members decide (here the deadline has come).
    expect(decideGroup([done('a', { reported: true, deadline: NOW }), member({ path: 'b', deadline: NOW })], NOW)).toEqual({ fire: true, why: 'deadline' });
    expect(decideGroup([done('a', { reported: true, size: 1 }), done('b', { size: 1 })], NOW)).toEqual({ fire: true, why: 'complete' });
  });

  it('a size larger than the members known so far waits for the rest to arrive', () => {
    expect(decideGroup([done('a', { size: 3 }), done('b', { size: 3 })], NOW)).toEqual({ fire: false });
    expect(decideGroup([done('a', { size: 3 }), done('b', { size: 3 }), done('c', { size: 3 })], NOW)).toEqual({ fire: true, why: 'complete' });
  });

  it('the largest size any member states counts', () => {
    expect(decideGroup([done('a', { size: 1 }), done('b', { size: 3 })], NOW)).toEqual({ fire: false });
  });

  it('an empty group never fires', () => {
    expect(decideGroup([], NOW)).toEqual({ fire: false });
  });
});
