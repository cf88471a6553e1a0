import { inboundBaseName, newInboundNote } from '../messages/new-message.ts';
import type { Fire, FireOutcome } from '../schedule/scheduler.ts';
import { isoLocal } from '../util/clock.ts';
import { readMessageNote } from './read-message.ts';
import type { DaemonContext } from './context.ts';

/**
 * A cron fire becomes an inbound note from `scheduler`, run like any other message. It is skipped while
 * the same schedule's previous message is still waiting or running (two would pile up behind a slow run).
 */
export async function writeScheduledMessage(ctx: DaemonContext, fire: Fire): Promise<FireOutcome> {
  if (fire.previousNote) {
    const status = await statusOf(ctx, fire.previousNote);
    if (status === 'ready' || status === 'queued' || status === 'running' || ctx.active.has(fire.previousNote)) {
      return { skipped: `the previous scheduled run (${fire.previousNote}) is still ${status ?? 'running'}` };
    }
  }
  const at = ctx.clock.now();
  const message = { to: fire.agent, from: 'scheduler', body: fire.task, at };
  const { dir, base } = inboundBaseName(message);
  const content = newInboundNote(message, { schedule: fire.cron, scheduled_for: isoLocal(fire.scheduledFor), ...(fire.reason === 'catch-up' ? { catch_up: true } : {}) });
  // Written so the watcher wakes on it, like a note a person writes.
  const path = await ctx.store.create(dir, base, content, { wake: true });
  ctx.logger.info('scheduled message written', { agent: fire.agent, cron: fire.cron, note: path, reason: fire.reason });
  return { fired: path };
}

async function statusOf(ctx: DaemonContext, path: string): Promise<string | undefined> {
  return (await readMessageNote(ctx.store, path))?.message.status;
}
