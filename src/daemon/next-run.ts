import type { AgentRegistry } from '../agents/registry.ts';
import { isoLocal } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';

/**
 * `next_run` on a scheduled agent's definition note, written only when it changes (and never when it
 * does not), one write at a time in the order reported: otherwise a tick's report written after a later
 * edit's "no next run" leaves a stale next_run on the note.
 */
export class NextRunWriter {
  readonly #deps: { store: NoteStore; registry: AgentRegistry; logger: Logger; changed: () => void };
  #writes: Promise<void> = Promise.resolve();

  constructor(deps: { store: NoteStore; registry: AgentRegistry; logger: Logger; changed: () => void }) {
    this.#deps = deps;
  }

  show(agent: string, next: Date | null): void {
    this.#writes = this.#writes.then(() => this.#write(agent, next));
  }

  async #write(agent: string, next: Date | null): Promise<void> {
    const { store, registry, logger } = this.#deps;
    const lookup = registry.lookup(agent);
    // An agent whose definition became invalid has no next run: its stale next_run goes too.
    const notePath = lookup.kind === 'ok' ? lookup.definition.path : lookup.kind === 'invalid' ? lookup.path : null;
    if (notePath === null) return;
    try {
      const raw = await store.readForFields(notePath);
      if (raw === null) return;
      const current = parseFrontmatter(raw).data.next_run;
      const wanted = next ? isoLocal(next) : undefined;
      if ((current ?? undefined) === wanted || (lookup.kind !== 'ok' && wanted !== undefined)) return;
      await store.update(notePath, { next_run: wanted });
    } catch (error) {
      logger.warn('could not write next_run', { agent, error: errorMessage(error) });
    }
    this.#deps.changed();
  }
}
