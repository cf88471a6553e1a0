import { errorMessage, NoteError } from '../util/errors.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { tooBigError } from '../vault/note-size.ts';
import { readInbound, type InboundMessage } from './inbound.ts';

/** An inbound note as it is on disk now. */
export type MessageReading =
  | { kind: 'ok'; message: InboundMessage; data: FrontmatterData }
  | { kind: 'invalid'; problem: NoteError }
  | { kind: 'gone' };

/**
 * The one reading of a message note from disk: frontmatter parsed, fields validated (`readInbound`).
 * `stable`: the note may be mid-save by its writer; wait until it is quiet (NoteStore.readStable).
 * A note that grew past `max_message_bytes` since it was taken in is invalid, and not read whole.
 */
export async function readMessage(store: NoteStore, path: string, options: { stable?: boolean } = {}): Promise<MessageReading> {
  const read = options.stable ? await store.readStableBounded(path) : await store.readBounded(path);
  if (read === null) return { kind: 'gone' };
  if (!('raw' in read)) return { kind: 'invalid', problem: new NoteError(path, 'size', tooBigError(read.size, store.maxNoteBytes)) };
  const raw = read.raw;
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
