// Attack: an agent that may message no one (can_message: []) writes a new agent definition with a
// schedule. The edit-tool deny rules cover the definitions that exist (turns/turn-request.ts), not a new
// note, and intake loads a definition whoever wrote it: the new agent's schedule fires every two seconds,
// each message `from: scheduler` at depth 0 (no can_message, no loop guard), and the new agent, whose
// can_message is open, may message the writer back. Checked for real (Claude Code CLI against the fake
// Messages API): the scheduled task ran. Now a definition a turn wrote is not loaded: Scriptorium stamps
// `written_by` on it (so the refusal outlasts its memory of the turn's writes), and a person who wants
// the agent deletes that line.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastUserText, type FakeReply, type RecordedRequest } from '../helpers/fake-anthropic.ts';
import { startRealClaudeVault, type RealClaudeVault } from '../helpers/real-claude.ts';
import { waitFor } from '../helpers/wait-for.ts';

let v: RealClaudeVault | undefined;

afterEach(async () => {
  await v?.close();
  v = undefined;
});

const agent = `---\ntags: [agent/definition]\ntools: [Write, Read]\npermission_mode: acceptEdits\ncan_message: []\n---\nYou work.\n`;
const planted = '---\ntags: [agent/definition]\nschedule: "*/2 * * * * *"\ntask: Scheduled by loner.\ntools: [Write, Read]\n---\nYou are free.\n';

describe('a definition an agent\'s turn writes', () => {
  it('is not loaded: stamped written_by, an error on it, and its schedule never armed; a person deleting the stamp loads it', async () => {
    v = await startRealClaudeVault({ 'Agents/loner.md': agent });
    let written = false;
    v.fake.setHandler((req: RecordedRequest): FakeReply => {
      if (!written && lastUserText(req).includes('Start.')) {
        written = true;
        return { toolUse: { name: 'Write', input: { file_path: path.join(v!.vault, 'Agents/free.md'), content: planted } } };
      }
      return { text: 'ok' };
    });
    await v.write('Inbox/start.md', '---\ntags: [agent/message/inbound]\nto: loner\n---\nStart.\n');
    expect((await v.waitForStatus('Inbox/start.md', ['done', 'error'])).status).toBe('done');

    await waitFor(async () => (await v!.note('Agents/free.md')).data.error !== undefined, { what: 'the planted definition refused' });
    const refused = await v.note('Agents/free.md');
    expect(refused.data.written_by).toBe('loner');
    expect(String(refused.data.error)).toMatch(/^written_by: this definition was written by loner's turn \(answering Inbox\/start.md\)/);
    // Not an agent: nothing of it is scheduled, so no message from the scheduler can come of it.
    expect(v.daemon.agentStatuses().find((a) => a.name === 'free')).toMatchObject({ state: 'error' });
    expect(v.daemon.agentStatuses().find((a) => a.name === 'free')?.nextRun).toBeUndefined();

    // The person reads it and accepts it: the line deleted, the agent is loaded.
    await v.write('Agents/free.md', refused.raw.replace(/^written_by: loner\n/m, '').replace(/^error: .*\n/m, ''));
    await waitFor(() => v!.daemon.agentStatuses().find((a) => a.name === 'free')?.state !== 'error', { what: 'the accepted definition loaded' });
    // It stays accepted when read again (the daemon clears the error, the watcher sees that write).
    await v.daemon.idle();
    expect(v.daemon.agentStatuses().find((a) => a.name === 'free')?.state).not.toBe('error');
    expect((await v.note('Agents/free.md')).data.written_by).toBeUndefined();
  });
});
