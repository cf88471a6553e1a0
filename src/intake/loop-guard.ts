import type { Clock } from '../util/clock.ts';

const HOUR_MS = 3_600_000;

/**
 * When each agent sent messages to agents, for the last hour: an agent messaging itself, or two agents
 * ping-ponging, is stopped at AGENT_MESSAGES_PER_HOUR (messages/delegation.ts). Counted from this
 * process's start: a restart forgets (explain estimates it from the notes' `queued_at`).
 */
export class LoopGuard {
  readonly #clock: Clock;
  readonly #sent = new Map<string, number[]>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Messages `agent` sent to agents in the hour before now. */
  sentInLastHour(agent: string): number {
    const since = this.#clock.now().getTime() - HOUR_MS;
    const times = (this.#sent.get(agent) ?? []).filter((t) => t > since);
    this.#sent.set(agent, times);
    return times.length;
  }

  /** `agent` sent one more. */
  record(agent: string): void {
    const times = this.#sent.get(agent) ?? [];
    times.push(this.#clock.now().getTime());
    this.#sent.set(agent, times);
  }
}
