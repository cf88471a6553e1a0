/**
 * A delegation note an agent wrote with its own file tools names no origin; it was written during the
 * delegating agent's running turn, so that turn's message is its origin (where the final answer goes).
 * `running`: the messages running now, each with its agent and, for a callback, the origin it carries.
 */
export function delegationOrigin(replyTo: string, running: Iterable<{ path: string; agent: string | undefined; origin: string | undefined }>): string | undefined {
  for (const message of running) {
    if (message.agent === replyTo.toLowerCase()) return message.origin ?? message.path;
  }
  return undefined;
}
