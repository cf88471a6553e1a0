// `explain` and the daemon decide with the same code (intake/admission.ts, turns/open-thread.ts): what
// explain predicts for a message before the daemon starts is, word for word, the error the daemon then
// writes on it.
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { explainCommand } from '../../src/cli/explain.ts';
import type { Explanation } from '../../src/explain/types.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { agentNote, inboundNote } from '../helpers/temp-vault.ts';

let h: Harness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
  h = undefined;
});

async function explain(root: string, note: string): Promise<Explanation> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await explainCommand([note, '--vault', root, '--json', '--config', path.join(root, '.scriptorium', 'no-config.yaml')])).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
  return JSON.parse(stdout) as Explanation;
}

const CASES: Record<string, string> = {
  'Inbox/unknown.md': inboundNote('nobody', 'To nobody.'),
  'Inbox/deep.md': inboundNote('helper', 'Too deep.', { delegation_depth: 9 }),
  'Inbox/ghost.md': inboundNote('helper', 'Call back a ghost.', { reply_to: 'ghost' }),
  'Inbox/not-allowed.md': inboundNote('worker', 'Not yours to ask.', { from: 'boss' }),
  'Inbox/outside.md': inboundNote('multi', 'Out of the vault.', { thread: '[[../elsewhere]]' }),
  'Inbox/hidden.md': inboundNote('multi', 'Into a dot-folder.', { thread: '[[.obsidian/x]]' }),
  'Inbox/plain-thread.md': inboundNote('multi', 'Into a plain note.', { thread: '[[Notes/plain]]' }),
  'Inbox/no-such-thread.md': inboundNote('multi', 'Into nothing.', { thread: '[[Threads/nowhere]]' }),
  'Inbox/their-thread.md': inboundNote('multi', "Into another agent's thread.", { thread: '[[Threads/helper]]' }),
  // A single-threaded agent whose own thread note is one of the user's notes, and one whose is unreadable.
  'Inbox/solo.md': inboundNote('solo', 'My thread is taken.'),
  'Inbox/broken-thread.md': inboundNote('mangled', 'My thread cannot be read.'),
};

it("explain's reason for a refused message is the error the daemon writes on it", async () => {
  h = await createHarness({
    files: {
      'Agents/helper.md': agentNote(),
      'Agents/worker.md': agentNote(),
      'Agents/boss.md': agentNote({ can_message: ['helper'] }),
      'Agents/multi.md': agentNote({ mode: 'multi-threaded' }),
      'Agents/solo.md': agentNote(),
      'Agents/mangled.md': agentNote(),
      'Threads/mangled.md': '---\ntags: [agent/thread\nagent: mangled\n---\nTurns.\n',
      'Notes/plain.md': '# Just a note\n',
      'Threads/solo.md': '# My own note called solo\n',
      'Threads/helper.md': '---\ntags: [agent/thread]\nagent: helper\nsession: ""\n---\n',
      ...CASES,
    },
  });
  const predicted = new Map<string, Explanation>();
  for (const note of Object.keys(CASES)) predicted.set(note, await explain(h.vault.root, note));

  await h.start();
  for (const [note, before] of predicted) {
    const fields = await waitForStatus(h.vault, note, 'error');
    expect(before.verdict, note).toMatch(/^will (fail|be refused)/);
    expect(before.reasons[0], note).toBe(`${String(fields.error)}. When the daemon starts, it marks it status: error with this reason.`);
  }
  expect(h.fake.invocations()).toHaveLength(0);
});
