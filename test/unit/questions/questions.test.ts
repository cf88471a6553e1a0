import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Questions } from '../../../src/questions/questions.ts';
import { answerOf, questionNote, questionOf } from '../../../src/questions/question-note.ts';
import { parseFrontmatter } from '../../../src/vault/frontmatter.ts';
import { createStageKit, type StageKit } from '../../helpers/stage-kit.ts';

let kit: StageKit;
let writer: { agent: string } | undefined;
let admitted: string[];
let questions: Questions;
const NOTE = 'Outbox/q.md';
const MESSAGE = 'Inbox/trip.md';

beforeEach(async () => {
  kit = await createStageKit();
  writer = undefined;
  admitted = [];
  questions = new Questions({ store: kit.store, clock: kit.clock, logger: kit.logger, outcomes: kit.outcomes, writerOf: () => writer, admit: async (p) => void admitted.push(p), changed: () => {} });
  await kit.store.write(MESSAGE, '---\ntags: [agent/message/inbound]\nto: asker\nstatus: waiting\nquestion: "[[Outbox/q]]"\n---\nPlan my trip.\n');
  await kit.store.write(NOTE, questionNote({ agent: 'asker', question: 'Which city?', text: 'I asked.', inboundPath: MESSAGE, threadPath: 'Threads/asker.md', at: new Date() }));
});
afterEach(async () => kit.cleanup());

const read = async (p: string) => parseFrontmatter(await kit.store.read(p));
/** The person's edit: an answer under the heading, and status ready. */
async function answer(text: string): Promise<void> {
  const raw = await kit.store.read(NOTE);
  await kit.store.write(NOTE, raw.replace('status: waiting', 'status: ready').trimEnd() + `\n${text}\n`);
  const { data, body } = await read(NOTE);
  await questions.seen(NOTE, data, body);
}

describe('Questions', () => {
  it('a waiting question is listed; the answer queues the message with answer: and admits it', async () => {
    const { data, body } = await read(NOTE);
    await questions.seen(NOTE, data, body);
    expect(questions.needsYou()).toMatchObject([{ kind: 'question', path: NOTE, agent: 'asker', what: 'Which city?' }]);
    await answer('Lisbon.');
    expect((await read(MESSAGE)).data).toMatchObject({ status: 'queued', answer: '[[Outbox/q]]' });
    expect((await read(NOTE)).data.status).toBe('answered');
    expect(admitted).toEqual([MESSAGE]);
    expect(questions.needsYou()).toEqual([]);
  });

  it("an answer an agent's turn wrote is refused: the note waits again, saying why", async () => {
    writer = { agent: 'sneaky' };
    await answer('Whatever sneaky says.');
    const { data } = await read(NOTE);
    expect(data.status).toBe('waiting');
    expect(data.error).toBe("status: ready was written by sneaky's turn: an agent cannot answer a question for you, so it still waits for your answer");
    expect((await read(MESSAGE)).data.status).toBe('waiting');
    expect(admitted).toEqual([]);
  });

  it('no answer written yet: the note waits again, saying where to write it', async () => {
    await answer('');
    expect((await read(NOTE)).data).toMatchObject({ status: 'waiting', error: 'there is no answer yet: write it under "## Your answer", then set status: ready again' });
  });

  it('nothing waits for it (the message was re-run or cancelled): said on the note, nothing runs', async () => {
    await kit.store.update(MESSAGE, { status: 'cancelled' });
    await answer('Lisbon.');
    expect((await read(NOTE)).data.error).toMatch(/^nothing waits for this answer: Inbox\/trip\.md is not waiting for it \(its status is "cancelled"\)/);
    expect(admitted).toEqual([]);
  });

  it('an in_reply_to leading outside the vault is nothing waiting: said on the note, no throw', async () => {
    await kit.store.update(NOTE, { in_reply_to: '[[../../etc/passwd]]' });
    await answer('Yes.');
    expect((await read(NOTE)).data).toMatchObject({ status: 'waiting', error: expect.stringMatching(/^nothing waits for this answer: \.\.\/\.\.\/etc\/passwd\.md is not waiting for it/) });
    expect(admitted).toEqual([]);
  });

  it('reads the question and the answer back from the note, comments aside', () => {
    const body = parseFrontmatter(questionNote({ agent: 'a', question: 'One?\nTwo?', text: '', inboundPath: MESSAGE, threadPath: 'T.md', at: new Date() })).body;
    expect(questionOf(body)).toBe('One?\nTwo?');
    expect(answerOf(body)).toBe('');
    expect(answerOf(`${body}\nYes, both.\n`)).toBe('Yes, both.');
  });
});
