// The local HTTP API over a real daemon: a message posted over HTTP becomes an inbound note that runs,
// /status shows the agents, /events streams the turn as it happens; a wrong token or body is refused.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { sseMessages } from '../../src/cli/tail.ts';
import { API_FILE, type ApiInfo } from '../../src/http/daemon-api.ts';
import { createHarness, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TOKEN = 'test-token-0123456789abcdef';
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function startWithApi(): Promise<{ h: Harness; url: string }> {
  h = await createHarness({ config: { api: { port: 0, token: TOKEN } } });
  await h.vault.writeAgent('researcher', { description: 'finds things' });
  await h.start();
  const info = JSON.parse(await readFile(path.join(h.vault.root, API_FILE), 'utf8')) as ApiInfo;
  expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(JSON.stringify(info)).not.toContain(TOKEN);
  return { h, url: info.url };
}

const auth = { authorization: `Bearer ${TOKEN}` };

it('runs a message posted over HTTP, shows it in /status and streams its turn on /events', async () => {
  const { h, url } = await startWithApi();

  const health = await request(`${url}/health`, { headers: auth });
  expect(health.statusCode).toBe(200);
  expect(await health.body.json()).toMatchObject({ ok: true, pid: process.pid, halted: false });

  const events = await request(`${url}/events`, { headers: { ...auth, accept: 'text/event-stream' } });
  expect(events.statusCode).toBe(200);
  const seen: Array<{ event: string; data: string }> = [];
  const reading = (async () => {
    for await (const message of sseMessages(events.body)) {
      seen.push(message);
      if (message.event === 'turn-finished') return;
    }
  })();

  const posted = await request(`${url}/messages`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ to: 'researcher', text: 'What is new in the [[fake:tool]] world?', from: 'ci' }),
  });
  expect(posted.statusCode).toBe(201);
  const { path: notePath } = (await posted.body.json()) as { path: string };
  expect(notePath).toMatch(/^Inbox\/.+\.md$/);
  const fields = await waitForStatus(h.vault, notePath, 'done');
  expect(fields.from).toBe('ci');
  expect(fields.to).toBe('researcher');

  await reading;
  events.body.destroy();
  const types = seen.map((m) => m.event);
  expect(types[0]).toBe('turn-started');
  expect(types).toContain('tool');
  expect(types.at(-1)).toBe('turn-finished');
  const finished = JSON.parse(seen.at(-1)!.data) as { message: string; ok: boolean; reply: string; text: string };
  expect(finished).toMatchObject({ message: notePath, ok: true });
  expect(finished.text).toContain('fake');
  expect(seen.every((m) => m.data.length > 0)).toBe(true);

  const status = (await (await request(`${url}/status`, { headers: auth })).body.json()) as { agents: Array<{ name: string }>; recentTurns: Array<{ message: string }> };
  expect(status.agents.map((a) => a.name)).toEqual(['researcher']);
  expect(status.recentTurns[0]!.message).toBe(notePath);
});

it('refuses a wrong token, a malformed body, an unknown agent and unknown fields, writing no note', async () => {
  const { h, url } = await startWithApi();
  const post = (body: string, headers: Record<string, string> = auth) =>
    request(`${url}/messages`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });

  const wrongToken = await post(JSON.stringify({ to: 'researcher', text: 'hi' }), { authorization: 'Bearer nope' });
  expect(wrongToken.statusCode).toBe(401);
  await wrongToken.body.dump();

  const malformed = await post('{"to": "researcher", "text": ');
  expect(malformed.statusCode).toBe(400);
  expect(((await malformed.body.json()) as { error: string }).error).toMatch(/not valid JSON/);

  const unknownAgent = await post(JSON.stringify({ to: 'nobody', text: 'hi' }));
  expect(unknownAgent.statusCode).toBe(404);
  expect(((await unknownAgent.body.json()) as { error: string }).error).toBe('no agent named "nobody" (agents: researcher)');

  const extra = await post(JSON.stringify({ to: 'researcher', text: 'hi', tools: ['Bash'] }));
  expect(extra.statusCode).toBe(422);
  expect(((await extra.body.json()) as { error: string }).error).toMatch(/unknown field "tools"/);

  const empty = await post(JSON.stringify({ to: 'researcher', text: '   ' }));
  expect(empty.statusCode).toBe(422);
  await empty.body.dump();

  expect(await h.vault.list('Inbox')).toEqual([]);
});

it('a draft posted over HTTP waits as a draft', async () => {
  const { h, url } = await startWithApi();
  const posted = await request(`${url}/messages`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ to: 'researcher', text: 'Later', status: 'draft' }),
  });
  expect(posted.statusCode).toBe(201);
  const { path: notePath } = (await posted.body.json()) as { path: string };
  await h.daemon.idle();
  expect((await h.vault.fields(notePath)).status).toBe('draft');
  expect(h.fake.invocations()).toHaveLength(0);
});

it('removes api.json when it stops', async () => {
  const { h } = await startWithApi();
  await h.daemon.close();
  await waitFor(() => !h.vault.exists(API_FILE));
});

it('a start whose API port is taken stops cleanly, saying why, and leaves no lock behind', async () => {
  const { createServer } = await import('node:net');
  const { rm, writeFile } = await import('node:fs/promises');
  const { runCli } = await import('../helpers/cli-process.ts');
  const { createTempVault } = await import('../helpers/temp-vault.ts');
  const { fileURLToPath } = await import('node:url');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  const vault = await createTempVault();
  // Beside the vault, so not removed with it.
  const config = path.join(vault.root, '..', `${path.basename(vault.root)}.yaml`);
  try {
    await writeFile(config, `api_port: ${port}\napi_token: ${TOKEN}\n`);
    const run = await runCli(fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url)), ['start', vault.root, '--config', config, '--log-format', 'json'], {
      cwd: vault.root,
      env: process.env,
    });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/port is in use/);
    expect(vault.exists('.scriptorium/daemon.pid')).toBe(false);
  } finally {
    blocker.close();
    await vault.cleanup();
    await rm(config, { force: true });
  }
});
