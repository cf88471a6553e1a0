// No secret from Scriptorium's environment reaches a note, a log line or a file in .scriptorium/, even
// when a turn echoes it in its reply and on stderr, succeeding or failing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.ts';
import { SecretsError } from '../../src/config/secrets.ts';
import { SAFE_POLICY } from '../../src/agents/policy.ts';
import { createLogger } from '../../src/util/logger.ts';
import { TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';

const SECRET = 'sk-ant-api03-TESTSECRET-0123456789abcdef';
const OTHER = 'hunter2-but-longer-than-eight';

let fake: FakeClaude | undefined;
let vault: TempVault | undefined;
let daemon: Daemon | undefined;

afterEach(async () => {
  await daemon?.close();
  await fake?.restore();
  await vault?.cleanup();
  daemon = fake = vault = undefined;
});

it('keeps environment secrets out of notes, logs and state files', async () => {
  fake = await useFakeClaude({ SCRIPTORIUM_TEST_API_KEY: SECRET, SERVICE_PASSWORD: OTHER });
  vault = await createTempVault();
  const lines: string[] = [];
  daemon = new Daemon({
    vault: vault.root,
    config: TEST_CONFIG,
    logger: createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(line) }),
  });
  await vault.writeAgent('worker');
  await daemon.start();

  const ok = await vault.writeMessage('ok', 'worker', 'Show me the key [[fake:leak-env:SCRIPTORIUM_TEST_API_KEY]]');
  const failed = await vault.writeMessage('failed', 'worker', 'Fail loudly [[fake:leak-env-fail:SERVICE_PASSWORD]]');
  await waitForStatus(vault, ok, 'done');
  const error = await waitForStatus(vault, failed, 'error');
  await daemon.idle();
  await daemon.close();

  // The turns really did surface the secrets: the failure's stderr line made it to the note, redacted.
  expect(String(error.error)).toContain('[redacted SERVICE_PASSWORD]');
  const everything: string[] = [...lines];
  for (const file of await vault.listAll({ withDotFolders: true })) {
    if (file.startsWith('.scriptorium/tmp/')) continue;
    everything.push(`${file}:\n${await readFile(path.join(vault.root, file), 'utf8')}`);
  }
  const all = everything.join('\n');
  expect(all).toContain('[redacted SCRIPTORIUM_TEST_API_KEY]');
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain(OTHER);
  // The user's own message note is kept byte for byte apart from the fields Scriptorium sets.
  expect(await vault.body(ok)).toContain('[[fake:leak-env:SCRIPTORIUM_TEST_API_KEY]]');
});

it('a configured secret with no value stops the daemon before it starts, naming the secret and nothing else', async () => {
  vault = await createTempVault();
  expect(() => new Daemon({ vault: vault!.root, config: { ...TEST_CONFIG, policy: { ...SAFE_POLICY, secrets: { MISSING_TOKEN: { agents: undefined } } } }, env: {} })).toThrow(
    new SecretsError('secrets: MISSING_TOKEN has no value: set it in the environment "scriptorium start" runs in, or in a secrets_file'),
  );
});
