/**
 * An inbound message's lifecycle. The user writes `draft` or `ready` (or nothing, which means ready);
 * Scriptorium moves it along `queued → running → done | error`, or `running → waiting → queued` when its agent
 * asked the user a question. `cancelled` is the user's way to stop a
 * message (waiting or running). Setting a finished message back to `ready` runs it again.
 */
export const MESSAGE_STATUSES = ['draft', 'ready', 'queued', 'running', 'waiting', 'done', 'error', 'cancelled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * The moves Scriptorium itself makes, enforced where statuses are written (messages/outcome.ts). A message
 * a free lane takes at once goes ready → queued → running in one write (it gets `queued_at` all the
 * same). running → queued: a transient failure waits for its retry, and a turn cut off by a crash runs
 * again. `cancelled` is the user's (Scriptorium writes it back only when a turn it stopped ends, in case
 * the turn's own `running` write landed over the user's save).
 */
const SCRIPTORIUM_MOVES: Record<MessageStatus, readonly MessageStatus[]> = {
  draft: [],
  ready: ['queued', 'error'],
  queued: ['running', 'error', 'queued'],
  running: ['done', 'error', 'queued', 'waiting'],
  // The agent asked the user a question (`ask_user`): the answer queues it again, on the same session.
  waiting: ['queued', 'error'],
  done: [],
  error: [],
  cancelled: [],
};

/** Transitions Scriptorium itself may make; everything else is the user's to do. */
export function canMove(from: MessageStatus, to: MessageStatus): boolean {
  return SCRIPTORIUM_MOVES[from].includes(to);
}

/** The status a note's field means; `undefined` status is `ready`. Null for a value that is not a status. */
export function readStatus(value: unknown): MessageStatus | null {
  if (value === undefined || value === null || value === '') return 'ready';
  if (typeof value !== 'string') return null;
  const status = value.trim().toLowerCase();
  return (MESSAGE_STATUSES as readonly string[]).includes(status) ? (status as MessageStatus) : null;
}

export type ThreadStatus = 'working' | 'ok' | 'error';
