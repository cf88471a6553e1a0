// The local HTTP API against a real server on 127.0.0.1, driven with undici; the daemon behind it is a set of
// fake handlers with an in-test event emitter.
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApiServer, type ApiEvent, type ApiHandlers, type ApiServer, type ApiServerOptions, type PostResult } from '../../src/http/server.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Fake {
  handlers: ApiHandlers;
  emit(type: string, data: unknown): void;
  listeners: Set<(event: ApiEvent) => void>;
  posted: unknown[];
  post: (body: unknown) => Promise<PostResult>;
}

function fakeHandlers(): Fake {
  const fake: Fake = {
    listeners: new Set(),
    posted: [],
    post: async () => ({ ok: true, path: 'Inbox/2026-01-02 0304 hello.md' }),
    emit: (type, data) => {
      for (const listener of fake.listeners) listener({ type, data });
    },
    handlers: {
      health: () => ({ ok: true }),
      status: async () => ({ agents: 2, running: 0 }),
      postMessage: (body) => {
        fake.posted.push(body);
        return fake.post(body);
      },
      subscribe: (listener) => {
        fake.listeners.add(listener);
        return () => fake.listeners.delete(listener);
      },
    },
  };
  return fake;
}

let api: ApiServer | undefined;
let fake: Fake;
let logger: ReturnType<typeof createMemoryLogger>;

async function start(options: Partial<ApiServerOptions> = {}): Promise<ApiServer> {
  fake = fakeHandlers();
  logger = createMemoryLogger();
  api = await startApiServer({ port: 0, token: TOKEN, handlers: fake.handlers, logger, bootId: 'boot-a', ...options });
  return api;
}

afterEach(async () => {
  vi.useRealTimers();
  await api?.close();
  api = undefined;
});

function post(body: string | Buffer | Readable, headers: Record<string, string> = {}) {
  return request(`${api!.url}/messages`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body,
  });
}

interface SseFrame {
  id?: string;
  event?: string;
  data?: unknown;
  comment?: string;
}

/** An open `/events` response, its frames parsed as they arrive. */
async function openEvents(headers: Record<string, string> = {}) {
  const res = await request(`${api!.url}/events`, { headers: { ...auth, ...headers } });
  const frames: SseFrame[] = [];
  let pending = '';
  let ended = false;
  const reading = (async () => {
    for await (const chunk of res.body) {
      pending += chunk.toString();
      let cut: number;
      while ((cut = pending.indexOf('\n\n')) >= 0) {
        const block = pending.slice(0, cut);
        pending = pending.slice(cut + 2);
        const frame: SseFrame = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frame.comment = line.slice(1).trim();
          else if (line.startsWith('id: ')) frame.id = line.slice(4);
          else if (line.startsWith('event: ')) frame.event = line.slice(7);
          else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
        }
        frames.push(frame);
      }
    }
    ended = true;
  })().then(
    () => undefined,
    // Our own close() aborts the body; the tests that care look at what `reading` resolved to.
    (error: unknown) => error,
  );
  const events = () => frames.filter((frame) => frame.id !== undefined);
  return {
    res,
    frames,
    events,
    ended: () => ended,
    /** Resolves when the stream ends: to undefined if it ended cleanly, else to the error. */
    reading,
    /** The first `count` events, once they have come. */
    take: (count: number): Promise<SseFrame[]> =>
      waitFor(() => (events().length >= count ? events().slice(0, count) : null), { what: `${count} events` }),
    close: () => res.body.destroy(),
  };
}

describe('the local HTTP API: auth and Host', () => {
  it('answers /health and /status with JSON to the right token', async () => {
    await start();
    expect(api!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await request(`${api!.url}/health`, { headers: auth });
    expect(health.statusCode).toBe(200);
    expect(health.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(health.headers['cache-control']).toBe('no-store');
    expect(await health.body.json()).toEqual({ ok: true });
    const status = await request(`${api!.url}/status`, { headers: auth });
    expect(status.statusCode).toBe(200);
    expect(await status.body.json()).toEqual({ agents: 2, running: 0 });
  });

  it('refuses a request without a token, with a wrong token, or with another scheme', async () => {
    await start();
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
    ]) {
      const res = await request(`${api!.url}/health`, { headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect((await res.body.json()) as { error: string }).toMatchObject({ error: expect.stringContaining('Bearer') });
    }
    // Unknown paths too: nothing about the API is told to a caller without the token.
    expect((await request(`${api!.url}/nope`)).statusCode).toBe(401);
  });

  it('refuses a Host other than 127.0.0.1 or localhost on its port (DNS rebinding)', async () => {
    await start();
    for (const host of ['evil.example', `evil.example:${api!.port}`, '127.0.0.1', `localhost:${api!.port + 1}`]) {
      const res = await request(`${api!.url}/health`, { headers: { ...auth, host } });
      expect(res.statusCode, host).toBe(403);
      expect(((await res.body.json()) as { error: string }).error).toContain(`127.0.0.1:${api!.port}`);
    }
    const local = await request(`${api!.url}/health`, { headers: { ...auth, host: `LocalHost:${api!.port}` } });
    expect(local.statusCode).toBe(200);
    await local.body.dump();
  });

  it('answers an unknown path with 404 and a wrong method with 405 and Allow', async () => {
    await start();
    const missing = await request(`${api!.url}/nope?x=1`, { headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(((await missing.body.json()) as { error: string }).error).toContain('/nope');
    const wrong = await request(`${api!.url}/messages`, { headers: auth });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    await wrong.body.dump();
    const wrongGet = await request(`${api!.url}/health`, { method: 'DELETE', headers: auth });
    expect(wrongGet.statusCode).toBe(405);
    expect(wrongGet.headers.allow).toBe('GET');
    await wrongGet.body.dump();
  });

  it('will not start without a token, and says so when the port is taken', async () => {
    await expect(start({ token: '' })).rejects.toThrow(/needs a token/);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(start({ port })).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally {
      blocker.close();
    }
  });
});

describe('the local HTTP API: POST /messages', () => {
  it('hands the parsed body to the handler and answers 201 with the note path', async () => {
    await start();
    const res = await post(JSON.stringify({ to: 'researcher', body: 'hello' }), { 'content-type': 'application/json; charset=UTF-8' });
    expect(res.statusCode).toBe(201);
    expect(await res.body.json()).toEqual({ path: 'Inbox/2026-01-02 0304 hello.md' });
    expect(fake.posted).toEqual([{ to: 'researcher', body: 'hello' }]);
  });

  it('answers malformed JSON with 400 and why', async () => {
    await start();
    const res = await post('{"to": "researcher",');
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { error: string }).error).toMatch(/^body is not valid JSON: ./);
    const notUtf8 = await post(Buffer.from([0x22, 0xff, 0x22]));
    expect(notUtf8.statusCode).toBe(400);
    expect(await notUtf8.body.json()).toEqual({ error: 'body is not valid JSON: it is not UTF-8 text' });
    expect(fake.posted).toEqual([]);
  });

  it('answers a body that is not application/json with 415', async () => {
    await start();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await post('{}', { 'content-type': type });
      expect(res.statusCode, type).toBe(415);
      expect(((await res.body.json()) as { error: string }).error).toContain(type);
    }
    expect(fake.posted).toEqual([]);
  });

  it('answers a body over 1 MiB with 413, by its length or as it streams in', async () => {
    await start();
    const declared = await post(Buffer.alloc(1024 * 1024 + 1, 0x20));
    expect(declared.statusCode).toBe(413);
    expect(((await declared.body.json()) as { error: string }).error).toContain('larger than 1048576 bytes');
    // No content-length: chunked, counted as it arrives. 1 MiB of spaces then more, endlessly.
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(64 * 1024, 0x20);
      })(),
    );
    const streamed = await post(endless);
    expect(streamed.statusCode).toBe(413);
    await streamed.body.dump();
    expect(fake.posted).toEqual([]);
    // The server is still there for the next client.
    expect((await post('{"ok": 1}')).statusCode).toBe(201);
  });

  it('forwards the status and error of a message the handler refuses', async () => {
    await start();
    fake.post = async () => ({ ok: false, status: 422, error: 'to: no agent named "nobody" (there are researcher, writer)' });
    const res = await post('{"to": "nobody", "body": "hi"}');
    expect(res.statusCode).toBe(422);
    expect(await res.body.json()).toEqual({ error: 'to: no agent named "nobody" (there are researcher, writer)' });
    fake.post = async () => ({ ok: false, status: 503, error: 'the daemon is halted' });
    expect((await post('{}')).statusCode).toBe(503);
  });

  it('answers 500 when a handler throws, logs it, and serves the next request', async () => {
    await start();
    fake.post = async () => {
      throw new Error('disk on fire');
    };
    const res = await post('{"to": "researcher"}');
    expect(res.statusCode).toBe(500);
    expect(((await res.body.json()) as { error: string }).error).toContain('disk on fire');
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'api handler failed', path: '/messages' }));
    fake.handlers.status = () => {
      throw new Error('status broke');
    };
    expect((await request(`${api!.url}/status`, { headers: auth })).statusCode).toBe(500);
    fake.post = async () => ({ ok: true, path: 'Inbox/next.md' });
    const next = await post('{}');
    expect(next.statusCode).toBe(201);
    expect(await next.body.json()).toEqual({ path: 'Inbox/next.md' });
  });
});

describe('the local HTTP API: GET /events', () => {
  it('streams events in order, each with its id, type and JSON data', async () => {
    await start();
    const stream = await openEvents();
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    fake.emit('turn.started', { agent: 'researcher', note: 'Inbox/a.md' });
    fake.emit('turn.progress', { text: 'line one\nline two' });
    fake.emit('turn.finished', { agent: 'researcher', ok: true });
    expect(await stream.take(3)).toEqual([
      { id: 'boot-a-1', event: 'turn.started', data: { agent: 'researcher', note: 'Inbox/a.md' } },
      { id: 'boot-a-2', event: 'turn.progress', data: { text: 'line one\nline two' } },
      { id: 'boot-a-3', event: 'turn.finished', data: { agent: 'researcher', ok: true } },
    ]);
    stream.close();
  });

  it('replays to a client that reconnects only the events after its Last-Event-ID', async () => {
    await start();
    // Events before any client are kept too: the server subscribed when it started.
    fake.emit('turn.started', { n: 1 });
    fake.emit('turn.progress', { n: 2 });
    const first = await openEvents();
    fake.emit('turn.progress', { n: 3 });
    expect((await first.take(1)).map((frame) => frame.id)).toEqual(['boot-a-3']);
    first.close();
    fake.emit('turn.progress', { n: 4 });
    fake.emit('turn.finished', { n: 5 });
    const again = await openEvents({ 'last-event-id': 'boot-a-3' });
    fake.emit('turn.started', { n: 6 });
    const seen = await again.take(3);
    expect(seen.map((frame) => frame.id)).toEqual(['boot-a-4', 'boot-a-5', 'boot-a-6']);
    expect(seen.map((frame) => frame.data)).toEqual([{ n: 4 }, { n: 5 }, { n: 6 }]);
    again.close();
  });

  it('replays the whole buffer to a client that last saw another boot, keeping only the last `replay` events', async () => {
    await start({ replay: 3, bootId: 'boot-b' });
    for (let n = 1; n <= 5; n++) fake.emit('turn.progress', { n });
    const stream = await openEvents({ 'last-event-id': 'boot-a-9' });
    expect((await stream.take(3)).map((frame) => frame.id)).toEqual(['boot-b-3', 'boot-b-4', 'boot-b-5']);
    stream.close();
  });

  it('sends a ping comment every heartbeat', async () => {
    // Only the interval is faked: undici and waitFor keep their real timeouts.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await start({ heartbeatMs: 1_000 });
    const stream = await openEvents();
    expect(stream.frames).toEqual([]);
    vi.advanceTimersByTime(1_000);
    await waitFor(() => stream.frames.length === 1, { what: 'a ping' });
    vi.advanceTimersByTime(1_000);
    await waitFor(() => stream.frames.length === 2, { what: 'a second ping' });
    expect(stream.frames).toEqual([{ comment: 'ping' }, { comment: 'ping' }]);
    stream.close();
  });

  it('forgets a client that goes away, and keeps serving the others', async () => {
    await start();
    const leaving = await openEvents();
    const staying = await openEvents();
    leaving.close();
    await waitFor(() => logger.lines.some((line) => line.msg === 'api events client left'), { what: 'the client to be forgotten' });
    fake.emit('turn.started', { n: 1 });
    expect((await staying.take(1)).map((frame) => frame.id)).toEqual(['boot-a-1']);
    staying.close();
  });

  it('close() ends open streams, unsubscribes, and can be called twice', async () => {
    await start();
    const stream = await openEvents();
    fake.emit('turn.started', { n: 1 });
    await stream.take(1);
    expect(fake.listeners.size).toBe(1);
    await api!.close();
    expect(await stream.reading).toBeUndefined();
    expect(stream.ended()).toBe(true);
    expect(fake.listeners.size).toBe(0);
    await api!.close();
    await expect(request(`${api!.url}/health`, { headers: auth })).rejects.toThrow();
  });
});
