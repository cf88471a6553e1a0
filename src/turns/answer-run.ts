import type { InboundMessage } from '../messages/inbound.ts';
import { answerOf } from '../questions/question-note.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { targetToPath } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';

/**
 * A message queued again with `answer:`: its agent asked the user a question, and this turn resumes the
 * conversation with the answer. The turn runs it as the user's words (whoever sent the message first),
 * read from the answer note now, so the last edit counts.
 */
export async function answerRun(store: NoteStore, message: InboundMessage): Promise<{ message: InboundMessage } | { error: string }> {
  const notePath = targetToPath(message.answer!);
  const raw = await store.readIfExists(notePath);
  let answer = '';
  try {
    if (raw !== null) answer = answerOf(parseFrontmatter(raw).body);
  } catch {
    // Unreadable: said below.
  }
  if (!answer) return { error: `answer: ${notePath} is gone or holds no answer any more, so there was nothing to go on with. Answer again in a new message.` };
  return { message: { ...message, from: 'user', body: `The user answered your question (in ${notePath}):\n\n${answer}` } };
}
