import { readInbound, type InboundMessage } from '../messages/inbound.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';

/** An inbound note as it is on disk now; null when it is gone or no longer reads as a message. */
export async function readMessageNote(store: NoteStore, path: string): Promise<{ message: InboundMessage; data: FrontmatterData } | null> {
  const raw = await store.readIfExists(path);
  if (raw === null) return null;
  try {
    const { data, body } = parseFrontmatter(raw);
    const reading = readInbound(path, data, body);
    return reading.ok ? { message: reading.message, data } : null;
  } catch {
    return null;
  }
}
