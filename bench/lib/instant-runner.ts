import { performance } from 'node:perf_hooks';
import { EMPTY_USAGE, type Runner, type TurnRequest, type TurnResult } from '../../src/runner/types.ts';

/** The message a turn is for, from its prompt's context block (`message note: Inbox/x.md`). */
export function messageOf(request: TurnRequest): string {
  return /^message note: (.+)$/m.exec(request.prompt)?.[1] ?? '?';
}

export function okResult(sessionId: string): TurnResult {
  return {
    ok: true,
    text: 'Done.',
    errorKind: undefined,
    error: undefined,
    transient: false,
    sessionId,
    costUsd: 0.0001,
    usage: { ...EMPTY_USAGE, inputTokens: 1, outputTokens: 1 },
    numTurns: 1,
    durationMs: 1,
    tools: [],
    permissionDenials: [],
    exitCode: 0,
    signal: null,
    stderrTail: '',
  };
}

/**
 * A runner that answers at once, telling `onCall` when (performance.now()) each turn had its prompt and
 * when it was called (when the real runner spawns Claude Code; the prompt may follow a few ms later).
 */
export function instantRunner(onCall: (request: TurnRequest, at: number, calledAt: number) => void = () => {}): Runner {
  return async (request) => {
    const calledAt = performance.now();
    // A real turn only begins once its prompt is there: a note in its grace has it a few ms later.
    if (request.promptLater) await request.promptLater;
    onCall(request, performance.now(), calledAt);
    return okResult(request.sessionId);
  };
}
