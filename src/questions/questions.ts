import type { MessageOutcomes } from '../messages/outcome.ts';
import type { NeedsYou } from '../state/status-file.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath, wikilink } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { ANSWER_HEADING, answerOf, questionOf } from './question-note.ts';

export interface QuestionsDeps {
  store: NoteStore;
  clock: Clock;
  logger: Logger;
  outcomes: MessageOutcomes;
  /** The agent whose turn wrote this note lately, if one did (turns/turn-writes.ts). */
  writerOf: (vaultPath: string) => { agent: string } | undefined;
  /** Take the message in again, now `queued` with its answer (intake, as for a requeued job). */
  admit: (messagePath: string) => Promise<void>;
  changed: () => void;
}

/**
 * Questions agents asked with `ask_user`, each in its reply note (`asks: true`, `status: waiting`). A
 * person writes the answer under "## Your answer" and sets the note `ready`: the message that asked goes
 * back to its agent's lane with `answer:` pointing here, and its turn resumes the same session with the
 * answer (turns/turns.ts). Only a person answers: an answer an agent's turn wrote is refused.
 */
export class Questions {
  readonly #deps: QuestionsDeps;
  readonly #waiting = new Map<string, NeedsYou>();
  /**
   * Answers taken from a person and not yet run to the end, by message: the only answers a turn runs as the
   * user's words. Every note an agent's turn can write (an old answer, its message) could say the same.
   */
  readonly #taken = new Map<string, string>();

  constructor(deps: QuestionsDeps) {
    this.#deps = deps;
  }

  /** The answer note taken for this message, if one waits to run (turns/answer-run.ts). */
  takenFor(messagePath: string): string | undefined {
    return this.#taken.get(messagePath);
  }

  /** The message has ended (done, error, cancelled): its answer has run, or never will. */
  ended(messagePath: string): void {
    this.#taken.delete(messagePath);
  }

  needsYou(): NeedsYou[] {
    return [...this.#waiting.values()];
  }

  /** A reply note with a question was written, or found waiting. */
  asked(notePath: string, agent: string, question: string, since: string): void {
    this.#waiting.set(notePath, { kind: 'question', path: notePath, agent, what: question.replace(/\s+/g, ' ').slice(0, 200), since });
    this.#deps.changed();
  }

  /** An outbound note with `asks: true` was written (found at start, edited by a person, or by an agent). */
  async seen(notePath: string, data: FrontmatterData, body: string): Promise<void> {
    const { store, clock, logger, outcomes } = this.#deps;
    const status = typeof data.status === 'string' ? data.status.trim().toLowerCase() : '';
    const agent = typeof data.from === 'string' ? data.from : '?';
    if (status === 'waiting') {
      if (!this.#waiting.has(notePath)) this.asked(notePath, agent, questionOf(body), typeof data.created === 'string' ? data.created : isoLocal(clock.now()));
      return;
    }
    if (status !== 'ready') {
      if (this.#waiting.delete(notePath)) this.#deps.changed();
      return;
    }
    const refuse = async (error: string) => {
      logger.warn('answer not taken', { note: notePath, error });
      await store.update(notePath, { status: 'waiting', error }).catch((e: unknown) => logger.warn('could not write on the question note', { note: notePath, error: errorMessage(e) }));
    };
    const writer = this.#deps.writerOf(notePath);
    if (writer) return refuse(`status: ready was written by ${writer.agent}'s turn: an agent cannot answer a question for you, so it still waits for your answer`);
    const target = linkTarget(data.in_reply_to);
    const messagePath = target ? targetToPath(target) : undefined;
    // A link that leads outside the vault (`[[../x]]`) is refused by the store: nothing waits there either.
    const message = messagePath ? await store.readForFields(messagePath).catch(() => null) : null;
    let fields: FrontmatterData = {};
    try {
      if (message !== null) fields = parseFrontmatter(message).data;
    } catch {
      // Unreadable: said below, as nothing waiting.
    }
    const waits = messagePath !== undefined && fields.status === 'waiting' && linkTarget(fields.question) === notePath.replace(/\.md$/i, '');
    if (!waits) {
      // Nothing to resume: the answer is not lost, the note says why it did not run.
      await store.update(notePath, { status: 'waiting', error: `nothing waits for this answer: ${messagePath ?? 'the message in in_reply_to'} is not waiting for it (its status is ${JSON.stringify(fields.status ?? 'unknown')}); send your answer as a new message instead` }).catch(() => {});
      if (this.#waiting.delete(notePath)) this.#deps.changed();
      return;
    }
    const answer = answerOf(body);
    if (!answer) return refuse(`there is no answer yet: write it under "${ANSWER_HEADING}", then set status: ready again`);
    const at = isoLocal(clock.now());
    await store.update(notePath, { status: 'answered', answered_at: at, error: undefined });
    this.#taken.set(messagePath, notePath);
    await outcomes.queue(messagePath, 'waiting', { answer: wikilink(notePath), waiting_for: undefined, queued_at: at, error: undefined });
    logger.info('question answered; its conversation goes on', { note: notePath, message: messagePath, agent });
    this.#waiting.delete(notePath);
    this.#deps.changed();
    await this.#deps.admit(messagePath);
  }
}
