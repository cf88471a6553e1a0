/**
 * Tags as Obsidian users write them: a YAML list (the Obsidian form), a single string, a
 * comma- or space-separated string, with or without `#`. Compared lower-case, as Obsidian does.
 * (`tags: #foo` unquoted is a YAML comment, i.e. null: nothing to recover there.)
 */
export function normalizeTags(value: unknown): string[] {
  const raw: unknown[] = Array.isArray(value) ? value.flat() : [value];
  const tags: string[] = [];
  for (const item of raw) {
    if (typeof item !== 'string' && typeof item !== 'number') continue;
    for (const part of String(item).split(/[,\s]+/)) {
      const tag = part.replace(/^#+/, '').trim().toLowerCase();
      if (tag) tags.push(tag);
    }
  }
  return tags;
}

export const ROLE_TAGS = {
  definition: 'agent/definition',
  inbound: 'agent/message/inbound',
  outbound: 'agent/message/outbound',
  thread: 'agent/thread',
  /** Turns moved out of a thread note as it grew (threads/thread-archive.ts). */
  archive: 'agent/thread-archive',
  dashboard: 'agent/dashboard',
  approval: 'agent/approval',
} as const;

export type NoteRole = keyof typeof ROLE_TAGS;

/** The role a note plays, from its tags; `null` for the vault's ordinary notes. */
export function roleOf(tagsValue: unknown): NoteRole | null {
  const tags = normalizeTags(tagsValue);
  // Order matters only for a note carrying two role tags: the one that never wakes anything wins.
  const order: NoteRole[] = ['outbound', 'thread', 'archive', 'dashboard', 'approval', 'definition', 'inbound'];
  for (const role of order) if (tags.includes(ROLE_TAGS[role])) return role;
  return null;
}
