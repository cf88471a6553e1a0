import { isoLocal } from '../util/clock.ts';
import { stringifyNote } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';
import { ROLE_TAGS } from '../vault/tags.ts';

/** The heading under which a person writes the answer to an agent's question. */
export const ANSWER_HEADING = '## Your answer';

export interface QuestionInput {
  agent: string;
  question: string;
  /** What the model said as it ended its turn, if anything beyond the question. */
  text: string;
  inboundPath: string;
  threadPath: string;
  at: Date;
  notify?: boolean | undefined;
}

/**
 * The reply note of a turn that asked the user a question (`ask_user`): an outbound note that waits
 * (`status: waiting`, `asks: true`), the question, and a place for the answer. Setting it `ready` sends
 * the answer to the same conversation (questions/questions.ts).
 */
export function questionNote(input: QuestionInput): string {
  const said = input.text.trim() && input.text.trim() !== input.question.trim() ? `\n${input.text.trim()}\n` : '';
  const body = [
    `**${input.agent} asks you:**`,
    '',
    input.question.trim().split('\n').map((line) => `> ${line}`).join('\n'),
    said,
    ANSWER_HEADING,
    '',
    '%% Write your answer below this line, then set status: ready (above). The same conversation goes on with it. %%',
    '',
    '',
  ].join('\n');
  return stringifyNote(
    {
      tags: [ROLE_TAGS.outbound],
      from: input.agent,
      to: 'user',
      status: 'waiting',
      asks: true,
      in_reply_to: wikilink(input.inboundPath),
      thread: wikilink(input.threadPath),
      created: isoLocal(input.at),
      ...(input.notify ? { notify_status: 'pending' } : {}),
    },
    body,
  );
}

/** The question as written in the note (the quoted lines under the first one). */
export function questionOf(body: string): string {
  return body
    .split('\n')
    .filter((line) => line.startsWith('> '))
    .map((line) => line.slice(2))
    .join('\n')
    .trim();
}

/**
 * The person's answer: what is under "## Your answer", Obsidian comments (`%% … %%`) taken out. Without the
 * heading (deleted), everything after the quoted question. Empty when nothing was written.
 */
export function answerOf(body: string): string {
  const at = body.indexOf(ANSWER_HEADING);
  const below = at >= 0 ? body.slice(at + ANSWER_HEADING.length) : body.split('\n').filter((l, i, all) => i > all.findLastIndex((x) => x.startsWith('> '))).join('\n');
  return below.replace(/%%[\s\S]*?%%/g, '').trim();
}
