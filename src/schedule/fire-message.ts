import { inboundBaseName, newInboundNote } from '../messages/new-message.ts';
import { readMessageNote } from '../messages/read-message.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { NoteStore } from '../vault/note-store.ts';
import type { Fire, FireOutcome } from './scheduler.ts';

export interface FireDeps {
  store: NoteStore;
  clock: Clock;
  logger: Logger;
  /** Whether this process has the message queued or running. */
  isActive: (messagePath: string) => boolean;
}

/**
 * A cron fire becomes an inbound note from `scheduler`, run like any other message. It is skipped while
 * the same schedule's previous message is still waiting or running (two would pile up behind a slow run).
 */
export async function writeScheduledMessage(deps: FireDeps, fire: Fire): Promise<FireOutcome> {
  const { store, clock, logger } = deps;
  if (fire.previousNote) {
    const status = (await readMessageNote(store, fire.previousNote))?.message.status;
    if (status === 'ready' || status === 'queued' || status === 'running' || deps.isActive(fire.previousNote)) {
      return { skipped: `the previous scheduled run (${fire.previousNote}) is still ${status ?? 'running'}` };
    }
  }
  const at = clock.now();
  const message = { to: fire.agent, from: 'scheduler', body: fire.task, at };
  const { dir, base } = inboundBaseName(message);
  const content = newInboundNote(message, { schedule: fire.cron, scheduled_for: isoLocal(fire.scheduledFor), ...(fire.reason === 'catch-up' ? { catch_up: true } : {}) });
  // Written so the watcher wakes on it, like a note a person writes.
  const path = await store.create(dir, base, content, { wake: true });
  logger.info('scheduled message written', { agent: fire.agent, cron: fire.cron, note: path, reason: fire.reason });
  return { fired: path };
}
