import { createHash } from 'node:crypto';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import { userFields } from './stamps.ts';

/** The field written on a message whose note changed after its turn read it (Scriptorium's own, like `error`). */
export const CHANGED_AFTER_RUN = 'changed_after_run';

/** Messages whose text is remembered, at most; the oldest go first (a change that matters comes minutes after a turn, not days). */
const REMEMBERED = 10_000;

/** What `changed_after_run` says: when the change was seen, when the turn read the note, and how to run it again. */
export function changedAfterRunText(seenAt: string, readAt: string): string {
  return `${seenAt}: this note changed after its turn read it (at ${readAt}), so the turn ran the earlier text and the change has not run. Set status: ready to run the note as it is now.`;
}

/**
 * The text each message's turn ran, by message: its body and the fields a person writes (Scriptorium's
 * stamps aside), as a hash. The note saying something else later (more text typed after the turn took
 * it, another `to:`) is a change that did not run. Only turns this process ran are known.
 */
export class RanTexts {
  readonly #ran = new Map<string, { hash: string; readAt: string }>();

  /** A turn of the message begins: what an earlier turn ran no longer counts, until this one has its prompt. */
  starting(path: string): void {
    this.#ran.delete(path);
  }

  /** The turn has its prompt, from the note as it read at `readAt`. */
  ran(path: string, data: FrontmatterData, body: string, readAt: string): void {
    this.#ran.delete(path);
    this.#ran.set(path, { hash: fingerprint(data, body), readAt });
    if (this.#ran.size > REMEMBERED) this.#ran.delete(this.#ran.keys().next().value!);
  }

  /** When the turn read the note, if the note now says something else than what the turn ran; undefined otherwise. */
  changedSince(path: string, data: FrontmatterData, body: string): string | undefined {
    const ran = this.#ran.get(path);
    return ran && ran.hash !== fingerprint(data, body) ? ran.readAt : undefined;
  }
}

/** Fields in name order (Obsidian may move one when you edit another) and the body without its surrounding blank lines. */
function fingerprint(data: FrontmatterData, body: string): string {
  const fields = Object.entries(userFields(data)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(fields)).update('\0').update(body.trim()).digest('hex');
}
