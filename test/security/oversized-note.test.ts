// Attack: a huge note exhausts the daemon. A 50 MB message note was read whole, taken in and run (the
// daemon grew from 143 to 324 MB). A message or definition over `max_message_bytes` must be refused with
// its size and the limit on the note, no turn may run, and the note must never be read whole, neither
// when it is written nor when it is found at start.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { NoteStore } from '../../src/vault/note-store.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const LIMIT = 256 * 1024;
const BIG = 'Inbox/big.md';

let h: Harness | undefined;
/** Every note the daemon's store read whole (`NoteStore.read`, the seam under readIfExists). */
let readWhole: string[] = [];

beforeEach(() => {
  readWhole = [];
  const read = NoteStore.prototype.read;
  vi.spyOn(NoteStore.prototype, 'read').mockImplementation(function (this: NoteStore, vaultPath: string) {
    readWhole.push(vaultPath);
    return read.call(this, vaultPath);
  });
});

afterEach(async () => {
  await h?.close();
  h = undefined;
  vi.restoreAllMocks();
});

/** A note of about `bytes` bytes: frontmatter, then lines of text. */
const note = (frontmatter: string, bytes: number) => `---\n${frontmatter}\n---\n${'All work and no play makes a long note.\n'.repeat(Math.ceil(bytes / 40))}`;
const bigMessage = (bytes = 3 * 1024 * 1024) => note('tags: [agent/message/inbound]\nto: worker', bytes);

async function expectRefused(vaultPath: string, size: number): Promise<void> {
  const fields = await waitForStatus(h!.vault, vaultPath, 'error');
  expect(fields.error).toBe(
    `this note is ${size} bytes (${(size / 1024 / 1024).toFixed(1)} MiB), over the limit of ${LIMIT} bytes set by max_message_bytes in the operator config, so it was not read. Shorten it, then set status back to ready.`,
  );
  expect(h!.fake.invocations()).toHaveLength(0);
  expect(readWhole).not.toContain(vaultPath);
}

it('a message over max_message_bytes written while running is refused without being read whole; its text is kept', async () => {
  h = await createHarness({ config: { maxMessageBytes: LIMIT } });
  await h.vault.writeAgent('worker');
  await h.start();
  const text = bigMessage();
  await h.vault.write(BIG, text);
  await expectRefused(BIG, Buffer.byteLength(text));
  // Only the frontmatter was rewritten: the body is there byte for byte.
  expect((await h.vault.read(BIG)).endsWith(text.slice(text.indexOf('\n---\n') + 5))).toBe(true);
  expect(h.logs('message too big; refused', { note: BIG, field: 'size' })).toHaveLength(1);
  // A definition change makes the daemon look at every waiting message again (then sync the schedules):
  // that look reads only the big note's head too.
  await h.vault.writeAgent('worker', { schedule: '0 9 * * *' });
  await waitFor(async () => (await h!.vault.fields('Agents/worker.md')).next_run || undefined, { what: 'next_run, written after the look at waiting messages' });
  expect(readWhole).not.toContain(BIG);
  // The daemon goes on: a good message written next runs.
  await h.vault.write('Inbox/small.md', note('tags: [agent/message/inbound]\nto: worker', 100));
  await waitForStatus(h.vault, 'Inbox/small.md', 'done');
  expect(h.fake.invocations()).toHaveLength(1);
});

it('a message over the limit found at start is refused the same way (the start-up read takes 64 KB of it)', async () => {
  h = await createHarness({ config: { maxMessageBytes: LIMIT } });
  await h.vault.writeAgent('worker');
  const text = bigMessage();
  await h.vault.write(BIG, text);
  await h.start();
  await expectRefused(BIG, Buffer.byteLength(text));
});

it('a message just under the limit runs: a large prompt is not refused', async () => {
  h = await createHarness({ config: { maxMessageBytes: LIMIT } });
  await h.vault.writeAgent('worker');
  await h.start();
  await h.vault.write('Inbox/large.md', bigMessage(LIMIT - 4096));
  await waitForStatus(h.vault, 'Inbox/large.md', 'done');
  expect(h.fake.invocations()).toHaveLength(1);
});

it('a definition over the limit is not read whole: the agent is invalid, with the size on its note, and its messages are refused', async () => {
  h = await createHarness({ config: { maxMessageBytes: LIMIT } });
  const text = note('tags: [agent/definition]\nname: worker', 3 * 1024 * 1024);
  await h.vault.write('Agents/worker.md', text);
  await h.start();
  await waitFor(async () => String((await h!.vault.fields('Agents/worker.md')).error ?? '').includes(`size: this note is ${Buffer.byteLength(text)} bytes`) || undefined, {
    what: 'the size error on the definition',
  });
  expect(readWhole).not.toContain('Agents/worker.md');
  await h.vault.write('Inbox/q.md', note('tags: [agent/message/inbound]\nto: worker', 100));
  const fields = await waitForStatus(h.vault, 'Inbox/q.md', 'error');
  expect(fields.error).toMatch(/^the agent "worker" has an invalid definition \(Agents\/worker\.md\): size: this note is/);
  expect(h.fake.invocations()).toHaveLength(0);
});

it('a queued message that grows past the limit while it waits is refused when its turn comes, unread', async () => {
  h = await createHarness({ config: { maxMessageBytes: LIMIT } });
  await h.vault.writeAgent('worker');
  await h.start();
  // The first turn holds the agent's lane until the gate opens, whatever the machine's speed.
  await h.vault.write('Inbox/first.md', note('tags: [agent/message/inbound]\nto: worker', 100).replace('All work', '[[fake:gate:first]] All work'));
  await waitForStatus(h.vault, 'Inbox/first.md', 'running');
  await h.vault.write(BIG, note('tags: [agent/message/inbound]\nto: worker', 100));
  await waitForStatus(h.vault, BIG, 'queued');
  // Pasted into while it waits: its frontmatter (status: queued) stays, its body grows to 3 MB.
  const text = (await h.vault.read(BIG)) + 'And this log, pasted in.\n'.repeat(120_000);
  await h.vault.write(BIG, text);
  await h.fake.openGate('first');
  await waitForStatus(h.vault, 'Inbox/first.md', 'done');
  const fields = await waitForStatus(h.vault, BIG, 'error');
  expect(fields.error).toMatch(new RegExp(`^this note is ${Buffer.byteLength(text)} bytes \\(\\d+\\.\\d MiB\\), over the limit of ${LIMIT} bytes`));
  expect(h.logs('message unreadable when its turn came', { note: BIG, field: 'size' })).toHaveLength(1);
  // Only the first message ran.
  expect(h.fake.invocations()).toHaveLength(1);
  expect(readWhole).not.toContain(BIG);
});
