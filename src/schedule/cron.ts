import { Cron } from 'croner';

/**
 * Cron expressions through croner: 5 fields (minute precision) or 6 (seconds first), IANA zones with
 * DST handled (a wall time that does not exist on the spring-forward day fires at the first instant
 * after the gap; one that happens twice in autumn fires once).
 */
export function cronProblem(expression: string, timeZone: string | undefined): string | null {
  try {
    new Cron(expression, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
    return null;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

/** The first fire strictly after `after`, or null for an expression that never fires again. */
export function nextFire(expression: string, timeZone: string | undefined, after: Date): Date | null {
  const cron = new Cron(expression, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
  return cron.nextRun(after) ?? null;
}
