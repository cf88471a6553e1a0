import type { FrontmatterData } from '../vault/frontmatter.ts';

/**
 * The fields Scriptorium writes on messages and definitions: what a note says apart from them is what a
 * person (or an agent) wrote. Compared without them, a note is the same before and after Scriptorium has
 * stamped it (a sync conflict copy and its original; a message before its turn and after).
 */
export const SCRIPTORIUM_FIELDS: ReadonlySet<string> = new Set([
  'status', 'queued_at', 'started_at', 'finished_at', 'thread', 'reply', 'error', 'waiting_for', 'retry_at', 'retry_attempt',
  'recovered', 'origin_message', 'callback_note', 'callback_skipped', 'next_run', 'written_by', 'changed_after_run',
  // A question asked with ask_user, and the answer that resumes it (questions/).
  'question', 'answer',
]);

/** The note's fields but Scriptorium's own. */
export function userFields(data: FrontmatterData): FrontmatterData {
  return Object.fromEntries(Object.entries(data).filter(([key]) => !SCRIPTORIUM_FIELDS.has(key)));
}
