/**
 * Agents whose messages wait on a budget or rate limit, with the reason (turns/lane-checks.ts sets and
 * clears them): a map that tells of each real change, so the status views redo only that agent's row.
 */
export class AgentHolds extends Map<string, string> {
  readonly #onChange: (agent: string) => void;

  constructor(onChange: (agent: string) => void) {
    super();
    this.#onChange = onChange;
  }

  override set(agent: string, reason: string): this {
    // Every turn's checks clear or set its agent's hold: only a different reason is a change.
    if (super.get(agent) === reason) return this;
    super.set(agent, reason);
    this.#onChange(agent);
    return this;
  }

  override delete(agent: string): boolean {
    const had = super.delete(agent);
    if (had) this.#onChange(agent);
    return had;
  }

  override clear(): void {
    const agents = [...this.keys()];
    super.clear();
    for (const agent of agents) this.#onChange(agent);
  }
}
