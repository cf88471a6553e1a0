// End to end: a scheduled agent with the REAL Claude Code CLI against the fake Messages API. A
// per-second schedule fires; its message runs and the reply note lands with the API's answer.
import { afterEach, describe, expect, it } from 'vitest';
import { linkTarget } from '../../src/vault/links.ts';
import { lastUserText, systemText } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TASK = 'Summarise the notes added today in three bullet points.';
const DEFINITION = (schedule: string) =>
  `---\ntags: [agent/definition]\ndescription: A scheduled digest.\n${schedule}task: ${TASK}\n---\nYou are the DIGEST agent. Be brief.\n`;

let v: RealClaudeVault | undefined;

afterEach(async () => {
  await v?.close();
  v = undefined;
});

describe('a scheduled agent with the real Claude Code CLI', () => {
  it('a fire writes a message from scheduler that runs; the reply note holds the API answer; the API saw the task framed as from the scheduler', async () => {
    v = await startRealClaudeVault({ 'Agents/digest.md': DEFINITION('schedule: "* * * * * *"\n') });
    const { fake } = v;
    fake.setHandler(() => ({ text: '- one\n- two\n- three' }));

    // The first fire's note.
    const note = await waitFor(async () => {
      const { readdir } = await import('node:fs/promises');
      for (const file of (await readdir(`${v!.vault}/Inbox`)).sort()) {
        if (!file.endsWith('.md')) continue;
        if ((await v!.note(`Inbox/${file}`)).data.from === 'scheduler') return `Inbox/${file}`;
      }
      return null;
    }, { what: 'a scheduled message' });

    const done = await v.waitForStatus(note, ['done', 'error']);
    expect(done.error).toBeUndefined();
    expect(done).toMatchObject({ status: 'done', to: 'digest', from: 'scheduler', schedule: '* * * * * *', thread: '[[Threads/digest]]' });
    expect(typeof done.scheduled_for).toBe('string');
    expect((await v.note(note)).body.trim()).toBe(TASK);

    const reply = await v.note(`${linkTarget(done.reply)}.md`);
    expect(reply.body.trim()).toBe('- one\n- two\n- three');
    expect(reply.data).toMatchObject({ from: 'digest', to: 'scheduler', in_reply_to: `[[${note.replace(/\.md$/, '')}]]` });

    // What the model was sent: the agent's prompt, and the task framed as from the scheduler.
    const request = fake.requests.find((r) => lastUserText(r).includes(TASK));
    expect(request, 'a request carrying the task').toBeDefined();
    const text = lastUserText(request!);
    expect(text).toContain('from: scheduler');
    expect(text).toContain('The message below comes from the scheduler, not from the user.');
    expect(text).toContain(`<message from="scheduler">\n${TASK}\n</message>`);
    expect(systemText(request!)).toContain('You are the DIGEST agent.');

    const thread = await v.note('Threads/digest.md');
    expect(thread.data.status).toBe('ok');
    expect(thread.body).toContain(TASK);

    // Taking the schedule out, live: the daemon has no next run for it, and stops firing. (Written again,
    // with different bytes, if it was not read: Scriptorium's next_run update, due every second here, can
    // put the old text back or fold the edit into its own write; see the report of these tests.)
    const loaded = () => v!.logger.lines.filter((l) => l.msg === 'agent definition loaded').length;
    let removed = false;
    for (let attempt = 0; attempt < 10 && !removed; attempt++) {
      const before = loaded();
      await v.write('Agents/digest.md', DEFINITION('') + ' '.repeat(attempt));
      // A second is plenty on an idle machine; a busy one gets longer with each attempt.
      removed = await waitFor(() => loaded() > before && v!.daemon.agentStatuses().find((a) => a.name === 'digest')?.nextRun === undefined, {
        timeoutMs: 1_000 * 2 ** Math.min(attempt, 4),
      }).catch(() => false);
    }
    expect(removed).toBe(true);
    await v.daemon.idle();
    const fired = v.logger.lines.filter((l) => l.msg === 'scheduled message written').length;
    expect(fired).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(v.logger.lines.filter((l) => l.msg === 'scheduled message written')).toHaveLength(fired);
    expect((await v.note('Agents/digest.md')).data.next_run).toBeUndefined();
  });
});
