/**
 * The largest message (or agent definition) note read whole. A message is a prompt: 4 MiB is far past
 * what a model's context takes (about 800 KB of text), so a normal large prompt, a pasted log or a long
 * document, still runs, while a note of tens of MB (pasted by mistake, or written to exhaust the daemon's
 * memory) is refused before it is read. Prompts over 100,000 bytes already go to claude on stdin.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** How much of a note too big to read whole is read: enough for its frontmatter (the start-up read takes as much). */
export const NOTE_HEAD_BYTES = 64 * 1024;

/** The sentence on a note refused for its size; `next`: what to do about it (a message's, by default). */
export function tooBigError(size: number, limit: number, next = 'Shorten it, then set status back to ready.'): string {
  return `this note is ${showBytes(size)}, over the limit of ${showBytes(limit)} set by max_message_bytes in the operator config, so it was not read. ${next}`;
}

/** `4194304 bytes (4.0 MiB)`: the exact number is what the config takes, the MiB what a person reads. */
export function showBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 ? `${bytes} bytes (${mib.toFixed(1)} MiB)` : `${bytes} bytes`;
}
