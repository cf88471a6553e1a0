import type { TurnLogEntry } from '../../src/state/turns-log.ts';

/** A finished turn of agent `a` as the turns log records it, at `at`. */
export const turnEntry = (at: string, message = `Inbox/${at}.md`): TurnLogEntry => ({
  at,
  agent: 'a',
  message,
  thread: 'Threads/a.md',
  reply: '',
  ok: true,
  error: undefined,
  costUsd: 0.01,
  durationMs: 1,
  session: undefined,
});
