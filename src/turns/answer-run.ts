import type { InboundMessage } from '../messages/inbound.ts';
import { answerOf } from '../questions/question-note.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';

/**
 * A message queued again with `answer:`: its agent asked the user a question, and this turn resumes the
 * conversation with the answer. The turn runs it as the user's words (whoever sent the message first),
 * read from the answer note now, so the last edit counts.
 */
export async function answerRun(
  store: NoteStore,
  message: InboundMessage,
  writerOf: (vaultPath: string) => { agent: string } | undefined,
  takenFor: (messagePath: string) => string | undefined,
): Promise<{ message: InboundMessage } | { error: string }> {
  const notePath = targetToPath(message.answer!);
  // Scriptorium's own record first: an answer it took from a person for this very message, not run yet.
  // An old answer pointed at again, by anyone, is not one (nor is one taken before a restart).
  if (takenFor(message.path) !== notePath) {
    return { error: `answer: ${notePath} is not an answer waiting to run for this message (it ran already, or Scriptorium restarted before it ran), so it was not run. To answer, send your answer as a new message` };
  }
  // Within the size limit, as any message: the answer becomes the prompt.
  const read = await store.readBounded(notePath).catch(() => null);
  const raw = read && 'raw' in read ? read.raw : null;
  let answer = '';
  let taken = false;
  try {
    if (raw !== null) {
      const { data, body } = parseFrontmatter(raw);
      answer = answerOf(body);
      // Only an answer Scriptorium took from a person (questions/questions.ts) is run as the user's words:
      // an `answer:` link a note set by itself, or a question note an agent's turn wrote, is not.
      taken = data.asks === true && data.status === 'answered' && linkTarget(data.in_reply_to) === message.path.replace(/\.md$/i, '') && writerOf(notePath) === undefined;
    }
  } catch {
    // Unreadable: said below.
  }
  if (!taken) return { error: `answer: ${notePath} is not an answer Scriptorium took from you for this message (only the reply note that asked, answered and set ready by a person, is), so it was not run` };
  if (!answer) return { error: `answer: ${notePath} is gone or holds no answer any more, so there was nothing to go on with. Answer again in a new message.` };
  return { message: { ...message, from: 'user', body: `The user answered your question (in ${notePath}):\n\n${answer}` } };
}
