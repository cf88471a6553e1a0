/**
 * Fan-in: delegated messages sharing a `group` (and `reply_to`) wake the delegating agent once, when all
 * have finished, when one fails, or when the group's deadline passes, with every result in one callback.
 */
export interface GroupMember {
  path: string;
  finished: boolean;
  ok: boolean;
  /** A callback covering this member was already written (the `callback_note` stamp). */
  reported: boolean;
  size: number;
  deadline: Date | undefined;
}

export type GroupDecision = { fire: false } | { fire: true; why: 'complete' | 'failed' | 'deadline' };

export function decideGroup(all: GroupMember[], now: Date): GroupDecision {
  // Members already reported belong to an earlier round of the same group id: this round is the rest.
  const members = all.filter((m) => !m.reported);
  if (members.length === 0) return { fire: false };
  const size = Math.max(...members.map((m) => m.size), members.length);
  const finished = members.filter((m) => m.finished);
  if (finished.length >= size) return { fire: true, why: 'complete' };
  if (finished.some((m) => !m.ok)) return { fire: true, why: 'failed' };
  const deadlines = members.map((m) => m.deadline).filter((d): d is Date => d !== undefined);
  if (deadlines.length > 0 && now.getTime() >= Math.min(...deadlines.map((d) => d.getTime()))) {
    return { fire: true, why: 'deadline' };
  }
  return { fire: false };
}
