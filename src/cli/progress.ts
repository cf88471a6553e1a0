import type { DaemonEvents } from '../state/events.ts';
import type { Logger } from '../util/logger.ts';

/** "12 s", "3 min 05 s" */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * The terminal running `start` shows each turn as it goes: which agent, which message, each tool as it
 * is used with the time since the turn started, and the outcome with its cost; a turn still going after
 * `heartbeatMs` says so again, so a quiet terminal still shows it is working.
 */
export function attachProgress(events: DaemonEvents, logger: Logger, options: { heartbeatMs?: number; now?: () => number } = {}): () => void {
  const now = options.now ?? Date.now;
  const running = new Map<string, { agent: string; since: number; lastTool: string | undefined }>();
  const unsubscribe = events.subscribe((event) => {
    switch (event.type) {
      case 'turn-started':
        running.set(event.data.message, { agent: event.data.agent, since: now(), lastTool: undefined });
        logger.info(`${event.data.agent} ▸ ${event.data.message}`, { agent: event.data.agent, thread: event.data.thread });
        break;
      case 'tool': {
        const turn = running.get(event.data.message);
        if (turn) turn.lastTool = event.data.tool;
        logger.info(`${event.data.agent}   ${event.data.tool}`, { agent: event.data.agent, elapsed: turn ? elapsed(now() - turn.since) : undefined });
        break;
      }
      case 'api-retry':
        logger.warn(`${event.data.agent}   API retry ${event.data.attempt}/${event.data.maxRetries}`, { agent: event.data.agent, error: event.data.error });
        break;
      case 'turn-finished': {
        running.delete(event.data.message);
        const cost = `$${event.data.costUsd.toFixed(4)}`;
        if (event.data.ok) logger.info(`${event.data.agent} ✓ ${event.data.reply}`, { agent: event.data.agent, took: elapsed(event.data.durationMs), cost });
        else logger.warn(`${event.data.agent} ✗ ${event.data.message}`, { agent: event.data.agent, took: elapsed(event.data.durationMs), cost, error: event.data.error });
        break;
      }
      case 'turn-unwritten':
        // Its process has ended: not "still working", whenever its notes are written.
        running.delete(event.data.message);
        logger.warn(`${event.data.agent} ! ${event.data.message}: turn ended, its notes are not written yet`, { agent: event.data.agent, error: event.data.error });
        break;
      case 'halt':
        break;
    }
  });
  const timer = setInterval(() => {
    for (const [message, turn] of running) {
      logger.info(`${turn.agent} … still working`, { agent: turn.agent, message, elapsed: elapsed(now() - turn.since), lastTool: turn.lastTool });
    }
  }, options.heartbeatMs ?? 30_000);
  timer.unref?.();
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}
