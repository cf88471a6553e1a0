/**
 * Poll until a condition holds, instead of sleeping: `await waitFor(() => vault.exists(reply))`.
 * The predicate may be async; any truthy value ends the wait and is returned. A predicate that throws
 * counts as "not yet" (a note caught mid-write, say), and the last value or error is in the timeout
 * message so a failing test says what it saw.
 */

/**
 * How long a wait for something that takes a second or two on an idle machine may take before the test
 * fails: the default of `waitFor`, `waitForStatus` and the CLI helpers. Generous on purpose: a shared,
 * busy machine can be ten times slower than an idle one, and a wait ends as soon as its condition holds,
 * so only a failing test ever pays for it.
 */
export const PATIENCE_MS = 60_000;

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for, for the error message. */
  what?: string;
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  readonly lastValue: unknown;

  constructor(message: string, lastValue: unknown) {
    super(message);
    this.lastValue = lastValue;
  }
}

export async function waitFor<T>(predicate: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? PATIENCE_MS;
  const intervalMs = options.intervalMs ?? 20;
  const started = Date.now();
  let last: unknown = undefined;
  let lastError: unknown = undefined;
  for (;;) {
    try {
      const value = await predicate();
      last = value;
      lastError = undefined;
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started >= timeoutMs) {
      const seen =
        lastError !== undefined
          ? `the predicate last threw: ${lastError instanceof Error ? lastError.message : String(lastError)}`
          : `the last value was ${describe(last)}`;
      throw new WaitTimeoutError(`waitFor${options.what ? ` (${options.what})` : ''} timed out after ${timeoutMs} ms; ${seen}`, last);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 500 ? value.slice(0, 500) + '…' : value);
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 500 ? text.slice(0, 500) + '…' : text;
  } catch {
    return String(value);
  }
}
