import type { Runner, TurnRequest, TurnResult } from '../../src/runner/types.ts';

/** A finished turn as a fake runner reports it; `over` changes any field. */
export function turnResult(over: Partial<TurnResult> = {}): TurnResult {
  return {
    ok: true,
    text: 'Answered.',
    errorKind: undefined,
    error: undefined,
    transient: false,
    sessionId: undefined,
    costUsd: 0.001,
    usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
    numTurns: 1,
    durationMs: 10,
    tools: [],
    permissionDenials: [],
    exitCode: 0,
    signal: null,
    stderrTail: '',
    ...over,
  };
}

export interface GatedRunner {
  runner: Runner;
  /** Every request, in the order the turns started. */
  requests: TurnRequest[];
  /** Resolves once `n` turns have started (the test then acts while the turn is held). */
  started(n: number): Promise<TurnRequest>;
  /** From now on, turns wait at their start until `release()`. */
  hold(): void;
  /** Let the held turns end (and later ones run straight through). */
  release(): void;
}

/**
 * A runner whose turns wait, while the test holds them, until the test releases them: a test acts "while
 * the turn runs" without any guess about how long that takes. Each turn answers with the session it was
 * given, as Claude Code does.
 */
export function gatedRunner(): GatedRunner {
  const requests: TurnRequest[] = [];
  const waiters: Array<{ n: number; resolve: (request: TurnRequest) => void }> = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  const runner: Runner = async (request) => {
    requests.push(request);
    for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve(requests[w.n - 1]!);
    if (gate) await gate;
    return turnResult({ sessionId: request.sessionId, text: `Answer ${requests.indexOf(request) + 1}.` });
  };
  return {
    runner,
    requests,
    started: (n) => (requests.length >= n ? Promise.resolve(requests[n - 1]!) : new Promise((resolve) => waiters.push({ n, resolve }))),
    hold: () => {
      gate ??= new Promise<void>((resolve) => (open = resolve));
    },
    release: () => {
      open();
      gate = undefined;
    },
  };
}
