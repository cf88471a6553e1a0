// `scriptorium reset --force` while the agent's turn runs: the reset stands once the turn has ended (the
// turn ran on the old session; writing that back would undo the reset without a word).
import { afterEach, expect, it, vi } from 'vitest';
import { resetCommand } from '../../src/cli/reset.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { gatedRunner } from '../helpers/gated-runner.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';

let vault: TempVault | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await daemon?.close({ graceMs: 500 });
  await vault?.cleanup();
  daemon = vault = undefined;
});

/** Run `reset` in this process, its terminal output kept out of the test's. */
async function reset(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await resetCommand(args), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

it('a forced reset during a turn is not undone by that turn: the next turn starts a fresh session', async () => {
  vault = await createTempVault();
  await vault.writeAgent('researcher');
  const gated = gatedRunner();
  daemon = new Daemon({ vault: vault.root, runner: gated.runner, config: TEST_CONFIG, logger: createMemoryLogger() });
  await daemon.start();
  await waitForStatus(vault, await vault.writeMessage('one', 'researcher', 'One.'), 'done');
  const session = String((await vault.fields('Threads/researcher.md')).session);
  expect(session).toMatch(/^[0-9a-f-]{36}$/);

  gated.hold();
  const second = await vault.writeMessage('two', 'researcher', 'Two.');
  expect((await gated.started(2)).resume).toBe(true);
  await waitForStatus(vault, 'Threads/researcher.md', 'working');
  const refused = await reset(['researcher', '--vault', vault.root]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/researcher is working right now/);
  const forced = await reset(['researcher', '--vault', vault.root, '--force']);
  expect(forced.code).toBe(0);
  gated.release();
  await waitForStatus(vault, second, 'done');

  const thread = await vault.fields('Threads/researcher.md');
  expect(thread.session).toBe('');
  expect(thread.turn_count).toBe(2);
  expect(await vault.body('Threads/researcher.md')).toContain('Answer 2.');
  await waitForStatus(vault, await vault.writeMessage('three', 'researcher', 'Three.'), 'done');
  const third = gated.requests[2]!;
  expect(third.resume).toBe(false);
  expect(third.sessionId).not.toBe(session);
  expect((await vault.fields('Threads/researcher.md')).session).toBe(third.sessionId);
});
