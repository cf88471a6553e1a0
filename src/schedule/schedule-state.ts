import type { Logger } from '../util/logger.ts';
import { STATE_DIR, type NoteStore } from '../vault/note-store.ts';
import type { ScheduleState, ScheduleStateStore } from './scheduler.ts';

export const SCHEDULE_FILE = `${STATE_DIR}/schedule.json`;

/** The scheduler's memory (last fires, skips) in `.scriptorium/schedule.json`; an unreadable file starts afresh. */
export function scheduleStateFile(store: NoteStore, logger: Logger): ScheduleStateStore {
  return {
    load: async () => {
      const raw = await store.readIfExists(SCHEDULE_FILE);
      try {
        return raw ? (JSON.parse(raw) as ScheduleState) : {};
      } catch {
        logger.warn('schedule state unreadable; starting afresh', { file: SCHEDULE_FILE });
        return {};
      }
    },
    save: async (state) => void (await store.write(SCHEDULE_FILE, JSON.stringify(state, null, 2) + '\n')),
  };
}
