// The operator's allowlists, through the daemon: a definition asking for more than the machine allows is
// refused with the reason on the note, its messages fail visibly, and a definition within policy runs.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
let outside: string | undefined;

afterEach(async () => {
  await h?.close();
  if (outside) await rm(outside, { recursive: true, force: true });
  h = outside = undefined;
});

it('refuses tools, modes and workspaces outside the allowlists, and runs what is within them', async () => {
  outside = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-workspace-'));
  h = await createHarness({
    config: {
      policy: {
        allowBypassPermissions: false,
        allowShell: false,
        allowWorkspaceOutsideVault: false,
        allowedTools: ['Read', 'Grep', 'Glob'],
        allowedPermissionModes: ['default', 'plan'],
        allowedWorkspaces: [outside],
      },
    },
  });
  const writer = await h.vault.writeAgent('writer', { tools: ['Read', 'Write'], permission_mode: 'plan' });
  const planner = await h.vault.writeAgent('planner', { tools: ['Read', 'Grep'], permission_mode: 'acceptEdits' });
  const reader = await h.vault.writeAgent('reader', { tools: ['Read', 'Grep'], permission_mode: 'plan', workspace: outside });
  await h.start();

  const writerError = String((await waitFor(async () => (await h!.vault.fields(writer)).error)) ?? '');
  expect(writerError).toBe('tools: Write is not among the tools the operator allows on this machine (allowed_tools: Read, Grep, Glob)');
  const plannerError = String((await waitFor(async () => (await h!.vault.fields(planner)).error)) ?? '');
  expect(plannerError).toMatch(/^permission_mode: acceptEdits is not among the modes the operator allows/);
  expect((await h.vault.fields(reader)).error).toBeUndefined();

  const refused = await h.vault.writeMessage('to-writer', 'writer', 'Write a note');
  const ran = await h.vault.writeMessage('to-reader', 'reader', 'Read the code');
  expect(String((await waitForStatus(h.vault, refused, 'error')).error)).toMatch(/writer/);
  await waitForStatus(h.vault, ran, 'done');
  const invocation = h.fake.invocations().at(-1)!;
  expect(invocation.cwd).toBe(outside);
  expect(h.fake.invocations()).toHaveLength(1);
});
