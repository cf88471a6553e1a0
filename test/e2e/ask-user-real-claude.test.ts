// An agent asks you: the real Claude Code CLI calls Scriptorium's ask_user tool, the turn ends, the message
// waits with the question in its reply note; the answer written there and set ready resumes the same session.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allUserTexts, lastUserText, type RecordedRequest } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';
import { waitFor } from '../helpers/wait-for.ts';

const run = promisify(execFile);
const RUN = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));

let v: RealClaudeVault | undefined;
afterEach(async () => {
  await v?.close();
  v = undefined;
});

const answersTool = (req: RecordedRequest) => {
  const last = req.body.messages.filter((m) => m.role === 'user').at(-1)?.content;
  return Array.isArray(last) && last.some((b) => b.type === 'tool_result');
};

describe('ask_user', () => {
  it('the question waits in the reply note; the answer there resumes the same conversation', async () => {
    v = await startRealClaudeVault({ 'Agents/asker.md': '---\ntags: [agent/definition]\n---\nYou are ASKER.\n' });
    v.fake.setHandler((req) => {
      const last = lastUserText(req);
      if (last.includes('The user answered your question')) return { text: `FINAL: ${last.includes('Lisbon') ? 'Lisbon it is' : 'no city'}` };
      if (answersTool(req)) return { text: 'I asked which city.' };
      return { toolUse: { name: 'mcp__scriptorium__ask_user', input: { question: 'Which city should the trip start from?' } } };
    });
    await v.write('Inbox/trip.md', '---\ntags: [agent/message/inbound]\nto: asker\n---\nPlan my trip.\n');
    const waiting = await v.waitForStatus('Inbox/trip.md', ['waiting', 'done', 'error']);
    expect(waiting.status).toBe('waiting');
    const questionPath = `${String(waiting.question).slice(2, -2)}.md`;
    expect(waiting.reply).toBe(waiting.question);
    expect(waiting.waiting_for).toBe(`your answer in ${String(waiting.question)}`);
    const question = await v.note(questionPath);
    expect(question.data).toMatchObject({ tags: ['agent/message/outbound'], from: 'asker', to: 'user', status: 'waiting', asks: true, in_reply_to: '[[Inbox/trip]]' });
    expect(question.body).toContain('> Which city should the trip start from?');
    expect(question.body).toContain('## Your answer');
    await waitFor(async () => (await readFile(path.join(v!.vault, 'Dashboard.md'), 'utf8')).includes('## Needs you'), { what: 'Needs you on the Dashboard' });
    // `scriptorium status` says so too, from status.json.
    const status = await waitFor(
      async () => {
        const { stdout } = await run(process.execPath, [RUN, 'status', v!.vault]);
        return stdout.includes('NEEDS YOU (1):') ? stdout : null;
      },
      { what: 'NEEDS YOU in scriptorium status' },
    );
    expect(status).toContain(`answer  ${questionPath}  asker: Which city should the trip start from?`);
    const explained = JSON.parse((await run(process.execPath, [RUN, 'explain', 'Inbox/trip.md', '--vault', v.vault, '--json'])).stdout) as { verdict: string; next: string };
    expect(explained.verdict).toBe('waits for your answer');
    expect(explained.next).toBe(`Open ${String(waiting.question)}, write your answer under "## Your answer", then set that note's status: ready.`);

    // The answer, typed under the heading, and the note set ready: as a person does in Obsidian.
    const requestsBefore = v.fake.requests.length;
    await writeFile(path.join(v.vault, questionPath), question.raw.replace('status: waiting', 'status: ready').trimEnd() + '\nStart from Lisbon, please.\n');
    const done = await v.waitForStatus('Inbox/trip.md', ['done', 'error']);
    expect(done.status).toBe('done');
    expect(done.question).toBeUndefined();
    expect(done.answer).toBeUndefined();
    const reply = await v.note(`${String(done.reply).slice(2, -2)}.md`);
    expect(reply.body.trim()).toBe('FINAL: Lisbon it is');
    expect((await v.note(questionPath)).data.status).toBe('answered');

    // The same session: the resumed request carries the question turn before the answer.
    const resumed = v.fake.requests.slice(requestsBefore).find((r) => lastUserText(r).includes('The user answered your question'))!;
    expect(allUserTexts(resumed)).toContain('Plan my trip.');
    // The thread note keeps the latest turn; the one that asked is in its archive, shown above it.
    const thread = await v.note('Threads/asker.md');
    expect((await v.note('Threads/Archive/asker, part 1.md')).body).toContain('**Asked you:** Which city should the trip start from?');
    expect(thread.body).toContain('FINAL: Lisbon it is');
    expect(thread.data.turn_count).toBe(2);
  });
});
