import type { Ledger } from '../state/ledger.ts';
import { vaultBudgetHold, type VaultBudget, type VaultHold } from '../state/vault-budget.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';

export interface VaultCapDeps {
  ledger: Ledger;
  budget: VaultBudget;
  clock: Clock;
  logger: Logger;
  /** Look at waiting messages (and the daemon's state) again at this time. */
  recheckAt: (when: Date) => void;
}

/**
 * The vault's spending caps as the daemon enforces them: looked at before every turn, after every turn
 * and at start. A turn already running is never stopped by it; what it stops is the next one. The log
 * says so once when a cap is reached and once when it is lifted, not for every message that waits.
 */
export class VaultCap {
  readonly #deps: VaultCapDeps;
  /** The cap reached now, and until when: a new day's cap reached again is said again. */
  #reached: { cap: VaultHold['cap']; until: number } | undefined;

  constructor(deps: VaultCapDeps) {
    this.#deps = deps;
  }

  /** Null while turns may start; otherwise why not, with a look again set for when the cap ends. */
  check(): VaultHold | null {
    const { ledger, budget, clock, logger } = this.#deps;
    const hold = vaultBudgetHold(ledger, budget, clock.now());
    if (!hold) {
      if (this.#reached) logger.info('vault spending cap over; turns start again', { cap: this.#reached.cap });
      this.#reached = undefined;
      return null;
    }
    if (this.#reached?.cap !== hold.cap || this.#reached.until !== hold.until.getTime()) {
      this.#reached = { cap: hold.cap, until: hold.until.getTime() };
      logger.warn('vault spending cap reached; no new turn starts', { cap: hold.cap, reason: hold.reason, until: isoLocal(hold.until) });
    }
    // The status file and dashboard must stop saying so when it ends, even with no message waiting.
    this.#deps.recheckAt(hold.until);
    return hold;
  }
}
