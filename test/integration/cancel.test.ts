// Setting a running message to `status: cancelled` stops its turn: the message stays cancelled, a reply
// note says so, the agent's lane is free for the next message, and a delegating agent is called back.
import { afterEach, expect, it } from 'vitest';
import { createHarness, linkedPath, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { isAlive } from '../helpers/fake-claude-env.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What a person does in Obsidian: change the status line of the note. */
async function setStatus(h: Harness, notePath: string, status: string): Promise<void> {
  const raw = await h.vault.read(notePath);
  await h.vault.write(notePath, raw.replace(/^status: .*$/m, `status: ${status}`));
}

it('stops the running turn, keeps the message cancelled with a reply saying so, and runs the next one', async () => {
  h = await createHarness();
  await h.vault.writeAgent('worker', { timeout: '60s' });
  await h.start();
  const long = await h.vault.writeMessage('long', 'worker', 'Think for a long time [[fake:hang]]');
  const next = await h.vault.writeMessage('next', 'worker', 'Then this one');
  await waitForStatus(h.vault, long, 'running');
  const pid = await waitFor(() => h!.fake.invocations()[0]?.pid);

  await setStatus(h, long, 'cancelled');
  const fields = await waitFor(async () => {
    const f = await h!.vault.fields(long);
    return f.finished_at ? f : undefined;
  });
  expect(fields.status).toBe('cancelled');
  expect(fields.error).toBeUndefined();
  expect(await h.vault.body(linkedPath(fields.reply))).toMatch(/Cancelled: this message was set to cancelled while its turn ran/);
  await waitFor(() => !isAlive(pid) || undefined);

  await waitForStatus(h.vault, next, 'done');
  expect(h.fake.invocations()).toHaveLength(2);
});

it('a delegated message cancelled while running, or while queued, still calls its orchestrator back', async () => {
  h = await createHarness();
  await h.vault.writeAgent('boss');
  await h.vault.writeAgent('worker', { timeout: '60s' });
  await h.start();
  const delegated = { from: 'boss', reply_to: 'boss', delegation_depth: 1 };
  const running = await h.vault.writeMessage('running part', 'worker', 'Slow part [[fake:hang]]', { ...delegated, correlation_id: 'c-run' });
  // One after the other: two notes written together reach the lane in the order chokidar reports them.
  await waitForStatus(h.vault, running, 'running');
  const queued = await h.vault.writeMessage('queued part', 'worker', 'Other part', { ...delegated, correlation_id: 'c-queued' });
  await waitForStatus(h.vault, queued, 'queued');

  await setStatus(h, queued, 'cancelled');
  await setStatus(h, running, 'cancelled');
  for (const message of [running, queued]) {
    const link = await waitFor(async () => (await h!.vault.fields(message)).callback_note, { what: `${message} callback` });
    const callback = await h.vault.fields(linkedPath(link));
    expect(callback).toMatchObject({ to: 'boss', callback: true, outcome: 'error' });
    expect((await h.vault.fields(message)).status).toBe('cancelled');
  }
  // The worker ran one turn (stopped); the queued message never ran.
  expect(h.fake.invocations().filter((i) => i.prompt.includes('Other part'))).toHaveLength(0);
});
