// The daemon's own secrets — the HTTP API token from the operator config and the token in a `notify:`
// URL — reach nothing Scriptorium writes or says: not a note's name or text, not a field it sets, not a
// log line, not .scriptorium/ (journal, turns, status), not the API's answers, not a webhook's payload.
// Each test pastes the secret into messages, has the turn echo it in its reply and on stderr, then
// searches every file name, file and log line for it (the approach of test/integration/secrets.test.ts).
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { SAFE_POLICY } from '../../src/agents/policy.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { API_FILE, type ApiInfo } from '../../src/http/daemon-api.ts';
import { createLogger } from '../../src/util/logger.ts';
import { TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

// No well-known token shape, and the variable the fake reads it from has no secret-looking name: only
// the daemon's knowledge of its own secrets can catch these.
const API_TOKEN = 'scrpt9f8e7d6c5b4a3928170605';
const HOOK_TOKEN = 'hk4d3c2b1a0918273645z';

let fake: FakeClaude | undefined;
let vault: TempVault | undefined;
let daemon: Daemon | undefined;
let receiver: Server | undefined;

afterEach(async () => {
  await daemon?.close();
  receiver?.close();
  await fake?.restore();
  await vault?.cleanup();
  daemon = fake = vault = receiver = undefined;
});

/** Every file's vault path and text (the user's own notes in `except` left out), and the log lines. */
async function everything(lines: string[], except: string[]): Promise<string> {
  const all = [...lines];
  for (const file of await vault!.listAll({ withDotFolders: true })) {
    if (file.startsWith('.scriptorium/tmp/') || except.includes(file)) continue;
    all.push(`${file}:\n${await readFile(path.join(vault!.root, file), 'utf8')}`);
  }
  return all.join('\n');
}

function startDaemon(config: ConstructorParameters<typeof Daemon>[0]['config'], lines: string[]): Daemon {
  return new Daemon({
    vault: vault!.root,
    config: { ...TEST_CONFIG, ...config },
    logger: createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(line) }),
  });
}

it('the API token pasted into a note name, a message and an API post, and echoed by the turn, is written nowhere', async () => {
  fake = await useFakeClaude({ SCRIPTORIUM_TEST_PASTE: API_TOKEN });
  vault = await createTempVault();
  const lines: string[] = [];
  daemon = startDaemon({ api: { port: 0, token: API_TOKEN } }, lines);
  await vault.writeAgent('worker', { mode: 'multi-threaded' });
  await daemon.start();

  // The user's own notes: one named with the token (the reply and the thread are named from it), one failing.
  const named = await vault.writeMessage(`use ${API_TOKEN} now`, 'worker', `The token is ${API_TOKEN} [[fake:leak-env:SCRIPTORIUM_TEST_PASTE]]`);
  const failed = await vault.writeMessage('failing', 'worker', 'Fail loudly [[fake:leak-env-fail:SCRIPTORIUM_TEST_PASTE]]');
  const info = JSON.parse(await readFile(path.join(vault.root, API_FILE), 'utf8')) as ApiInfo;
  const posted = await request(`${info.url}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to: 'worker', text: `${API_TOKEN} is the token [[fake:leak-env:SCRIPTORIUM_TEST_PASTE]]`, from: API_TOKEN }),
  });
  const answer = await posted.body.text();
  expect(posted.statusCode).toBe(201);
  const { path: apiNote } = JSON.parse(answer) as { path: string };

  await waitForStatus(vault, named, 'done');
  await waitForStatus(vault, apiNote, 'done');
  const error = await waitForStatus(vault, failed, 'error');
  const status = await request(`${info.url}/status`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  const statusText = await status.body.text();
  await daemon.idle();
  await daemon.close();

  // The turns really did surface the token: the failure's stderr reached the note, redacted.
  expect(String(error.error)).toContain('[redacted api_token]');
  const all = `${answer}\n${statusText}\n${await everything(lines, [named, failed])}`;
  expect(all).toContain('[redacted api_token]');
  expect(all).not.toContain(API_TOKEN);
  // The user's own note keeps its name and its text; only the fields Scriptorium sets are redacted.
  expect(await vault.body(named)).toContain(`The token is ${API_TOKEN}`);
});

it('the token in a notify: URL, echoed by the turn, is written nowhere and not posted to the webhook', async () => {
  const payloads: string[] = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      payloads.push(`${req.url}\n${body}`);
      res.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const hook = `${base}/hook?key=${HOOK_TOKEN}`;

  fake = await useFakeClaude({ SCRIPTORIUM_TEST_PASTE: HOOK_TOKEN });
  vault = await createTempVault();
  const lines: string[] = [];
  daemon = startDaemon({ policy: { ...SAFE_POLICY, allowedNotifyUrls: [`${base}/`] } }, lines);
  await vault.writeAgent('herald', { notify: hook });
  await daemon.start();

  const message = await vault.writeMessage('announce', 'herald', 'Say the key [[fake:leak-env:SCRIPTORIUM_TEST_PASTE]]');
  const done = await waitForStatus(vault, message, 'done');
  const replyPath = `${String(done.reply).replace(/^\[\[|\]\]$/g, '')}.md`;
  await waitFor(async () => ((await vault!.fields(replyPath)).notify_status === 'delivered' ? true : null), { what: `${replyPath} delivered` });
  await daemon.idle();
  await daemon.close();

  // The receiver got the reply at the real URL (the token is how it knows the sender), redacted inside.
  expect(payloads).toHaveLength(1);
  const [url, body] = payloads[0]!.split('\n');
  expect(url).toBe(`/hook?key=${HOOK_TOKEN}`);
  expect(body).toContain('[redacted notify_url]');
  expect(body).not.toContain(HOOK_TOKEN);
  const all = await everything(lines, ['Agents/herald.md']);
  expect(all).toContain('[redacted notify_url]');
  expect(all).not.toContain(HOOK_TOKEN);
});
