import type { ResultRecord } from '../../src/state/journal.ts';

/** A finished turn's journal record for `helper`'s single thread, as recordTurn writes one; `over` changes any field. */
export function resultRecord(over: Partial<ResultRecord> = {}): ResultRecord {
  return {
    t: 'result',
    msg: 'Inbox/q.md',
    agent: 'helper',
    mode: 'single-threaded',
    thread: 'Threads/helper.md',
    reply: 'Outbox/2026-06-01 100005 helper - q.md',
    startedAt: '2026-06-01T10:00:00+00:00',
    at: '2026-06-01T10:00:05+00:00',
    ok: true,
    text: 'The answer.',
    session: '11111111-1111-1111-1111-111111111111',
    costUsd: 0.01,
    usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
    tools: [],
    durationMs: 5000,
    notices: [],
    from: 'user',
    to: 'user',
    body: 'q, please.',
    origin: undefined,
    threadBefore: { turnCount: 0, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 }, session: undefined },
    errorKind: undefined,
    ...over,
  };
}
