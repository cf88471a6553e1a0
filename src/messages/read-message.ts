import { errorMessage, NoteError } from '../util/errors.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { readInbound, type InboundMessage } from './inbound.ts';

/** An inbound note as it is on disk now. */
export type MessageReading =
  | { kind: 'ok'; message: InboundMessage; data: FrontmatterData }
  | { kind: 'invalid'; problem: NoteError }
  | { kind: 'gone' };

/**
 * The one reading of a message note from disk: frontmatter parsed, fields validated (`readInbound`).
 * `stable`: the note may be mid-save by its writer; wait until it is quiet (NoteStore.readStable).
 */
export async function readMessage(store: NoteStore, path: string, options: { stable?: boolean } = {}): Promise<MessageReading> {
  const raw = options.stable ? await store.readStable(path) : await store.readIfExists(path);
  if (raw === null) return { kind: 'gone' };
  try {
    const { data, body } = parseFrontmatter(raw);
    const reading = readInbound(path, data, body);
    return reading.ok ? { kind: 'ok', message: reading.message, data } : { kind: 'invalid', problem: new NoteError(path, reading.field, reading.error) };
  } catch (error) {
    return { kind: 'invalid', problem: new NoteError(path, undefined, errorMessage(error)) };
  }
}

/** An inbound note as it is on disk now; null when it is gone or no longer reads as a message. */
export async function readMessageNote(store: NoteStore, path: string): Promise<{ message: InboundMessage; data: FrontmatterData } | null> {
  const reading = await readMessage(store, path);
  return reading.kind === 'ok' ? reading : null;
}
