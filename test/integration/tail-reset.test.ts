// `scriptorium tail` follows turns across a daemon restart (a child process reading the real API), and with
// the API off the turns log; `scriptorium reset` makes an agent's next turn start a fresh Claude session.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.ts';
import { readStatus } from '../../src/state/status-file.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { spawnCli, runCli, stopCli, type Running } from '../helpers/cli-process.ts';
import { TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { argValue, useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const RUN = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url));
const TOKEN = 'tail-test-token-0123456789';

let fake: FakeClaude | undefined;
let vault: TempVault | undefined;
let daemon: Daemon | undefined;
let tail: Running | undefined;
/** The operator config of `tail`, beside the vault (so not removed with it). */
let config: string | undefined;

afterEach(async () => {
  if (tail) await stopCli(tail, 'SIGKILL');
  await daemon?.close();
  await fake?.restore();
  await vault?.cleanup();
  if (config) await rm(config, { force: true });
  fake = vault = daemon = tail = config = undefined;
});

function newDaemon(root: string): Daemon {
  return new Daemon({ vault: root, config: { ...TEST_CONFIG, dashboard: false, api: { port: 0, token: TOKEN } }, logger: createMemoryLogger() });
}

it('tail shows each turn with its tool calls, reply and cost, and goes on after the daemon restarts', async () => {
  fake = await useFakeClaude();
  vault = await createTempVault();
  await vault.writeAgent('researcher');
  config = path.join(vault.root, '..', `${path.basename(vault.root)}-config.yaml`);
  await writeFile(config, `api_port: 0\napi_token: ${TOKEN}\n`);
  daemon = newDaemon(vault.root);
  await daemon.start();

  tail = spawnCli(RUN, ['tail', vault.root, '--config', config], { cwd: vault.root, env: process.env });
  await waitFor(() => /following the daemon/.test(tail!.stderr()) || undefined);
  const first = await vault.writeMessage('first', 'researcher', 'First question [[fake:tool]]');
  await waitForStatus(vault, first, 'done');
  await waitFor(() => /researcher ✓ Outbox\//.test(tail!.stdout()) || undefined);
  expect(tail.stdout()).toMatch(/researcher ▸ Inbox\//);
  expect(tail.stdout()).toMatch(/researcher {3}· Read/);
  expect(tail.stdout()).toMatch(/\$\d+\.\d{4}/);

  await daemon.close();
  await waitFor(() => /not running; waiting/.test(tail!.stderr()) || undefined);
  daemon = newDaemon(vault.root);
  await daemon.start();
  await waitFor(() => /connected to the daemon/.test(tail!.stderr()) || undefined);
  const second = await vault.writeMessage('second', 'researcher', 'After the restart');
  await waitForStatus(vault, second, 'done');
  await waitFor(() => /researcher ▸ Inbox\/second\.md/.test(tail!.stdout()) || undefined);
  await waitFor(() => (tail!.stdout().match(/researcher ✓/g)?.length ?? 0) >= 2 || undefined);
});

it("tail with the API off follows the month's turns file: each finished turn, with its cost", async () => {
  fake = await useFakeClaude();
  vault = await createTempVault();
  await vault.writeAgent('researcher');
  config = path.join(vault.root, '..', `${path.basename(vault.root)}-config.yaml`);
  await writeFile(config, 'concurrency: 2\n');
  daemon = new Daemon({ vault: vault.root, config: { ...TEST_CONFIG, dashboard: false }, logger: createMemoryLogger() });
  await daemon.start();
  tail = spawnCli(RUN, ['tail', vault.root, '--config', config], { cwd: vault.root, env: process.env });
  await waitFor(() => /The HTTP API is off/.test(tail!.stderr()) || undefined);
  await waitForStatus(vault, await vault.writeMessage('first', 'researcher', 'First question'), 'done');
  await waitFor(() => /researcher ✓ Outbox\/.*\$\d+\.\d{4}/.test(tail!.stdout()) || undefined);
});

it('reset clears the session so the next turn starts a fresh one, and keeps the history', async () => {
  fake = await useFakeClaude();
  vault = await createTempVault();
  await vault.writeAgent('researcher');
  daemon = newDaemon(vault.root);
  await daemon.start();
  await waitForStatus(vault, await vault.writeMessage('one', 'researcher', 'One'), 'done');
  await waitForStatus(vault, await vault.writeMessage('two', 'researcher', 'Two'), 'done');
  const [firstRun, secondRun] = fake.invocations();
  const session = argValue(firstRun!.argv, '--session-id');
  expect(argValue(secondRun!.argv, '--resume')).toBe(session);
  // reset asks status.json whether the agent works; it says idle a moment after the message says done.
  await waitFor(async () => (await readStatus(vault!.root))?.agents.find((a) => a.name === 'researcher')?.state === 'idle' || undefined, { what: 'status.json saying idle' });

  const reset = await runCli(RUN, ['reset', 'researcher', '--vault', vault.root], { cwd: vault.root, env: process.env });
  expect(reset.code).toBe(0);
  expect(reset.stdout).toMatch(/Reset researcher/);
  const thread = await vault.fields('Threads/researcher.md');
  expect(thread.session).toBe('');
  expect(thread.turn_count).toBe(2);
  expect(await vault.body('Threads/researcher.md')).toMatch(/Conversation reset on .*the next turn starts a fresh Claude session/s);

  await waitForStatus(vault, await vault.writeMessage('three', 'researcher', 'Three'), 'done');
  const third = fake.invocations()[2]!;
  expect(argValue(third.argv, '--resume')).toBeUndefined();
  const fresh = argValue(third.argv, '--session-id');
  expect(fresh).toBeDefined();
  expect(fresh).not.toBe(session);
  expect((await vault.fields('Threads/researcher.md')).session).toBe(fresh);
});

it('reset refuses while the agent works, and says when there is nothing to reset', async () => {
  fake = await useFakeClaude();
  vault = await createTempVault();
  await vault.writeAgent('researcher');
  const none = await runCli(RUN, ['reset', 'researcher', '--vault', vault.root], { cwd: vault.root, env: process.env });
  expect(none.code).toBe(0);
  expect(none.stderr).toMatch(/has no conversation yet/);

  daemon = newDaemon(vault.root);
  await daemon.start();
  await waitForStatus(vault, await vault.writeMessage('one', 'researcher', 'One'), 'done');
  // Held until reset has run: however slowly the CLI starts, the turn is still running when it looks.
  const slow = await vault.writeMessage('slow', 'researcher', 'Slow [[fake:gate:slow]]');
  await waitForStatus(vault, slow, 'running');
  await waitFor(async () => (await runCli(RUN, ['status', vault!.root, '--json'], { cwd: vault!.root, env: process.env })).stdout.includes('"working"') || undefined);
  const refused = await runCli(RUN, ['reset', 'researcher', '--vault', vault.root], { cwd: vault.root, env: process.env });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/researcher is working right now/);
  expect((await vault.fields('Threads/researcher.md')).session).not.toBe('');
  await fake.openGate('slow');
  await waitForStatus(vault, slow, 'done');
});
