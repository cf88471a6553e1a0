// Outbound webhooks against a real HTTP receiver on 127.0.0.1, through real undici. Backoff never really
// waits: an injected sleep records each delay and returns at once.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWebhookUrl, deliverWebhook, redactUrl, retryAfterMs } from '../../src/notify/webhook.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
/** What the receiver does with one request; the last reply repeats for every request after it. */
type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

interface Receiver {
  url: string;
  received: Received[];
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function receiver(...replies: Reply[]): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies[Math.min(received.length, replies.length) - 1]!;
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** A port that was just free: listened on, then closed, so connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function recordingSleep(onSleep?: () => void) {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
    onSleep?.();
  };
  return { delays, sleep };
}

const PAYLOAD = { agent: 'researcher', status: 'ok', note: 'Outbox/2026-11-21 193605 researcher - Hello.md', text: 'Answered.' };

describe('deliverWebhook', () => {
  it('a receiver that fails twice with 500 then accepts gets the JSON payload on the third attempt, after growing delays', async () => {
    const r = await receiver({ status: 500, body: 'boom' }, { status: 500, body: 'boom' }, { status: 200, body: 'thanks' });
    const { delays, sleep } = recordingSleep();
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep, random: () => 0.5 });
    expect(result).toEqual({ ok: true, attempts: 3, status: 200, error: undefined });
    expect(r.received).toHaveLength(3);
    for (const req of r.received) {
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/hook');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['user-agent']).toBe('scriptorium');
      expect(JSON.parse(req.body)).toEqual(PAYLOAD);
    }
    // Full jitter at 0.5 of base * 2^(n-1), base 2 s.
    expect(delays).toEqual([1000, 2000]);
  });

  it('the backoff is capped by maxDelayMs', async () => {
    const r = await receiver({ status: 502 });
    const { delays, sleep } = recordingSleep();
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep, random: () => 1, maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 3000 });
    expect(result.attempts).toBe(5);
    expect(delays).toEqual([1000, 2000, 3000, 3000]);
  });

  it('a 400 fails at once, with the status and what the receiver said', async () => {
    const r = await receiver({ status: 400, body: 'missing field "text"' });
    const { delays, sleep } = recordingSleep();
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep });
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(1);
    expect(result.status).toBe(400);
    expect(result.error).toContain('400');
    expect(result.error).toContain('missing field "text"');
    expect(result.error).toContain('not retried');
    expect(delays).toEqual([]);
  });

  it('408 and 5xx are retried until the receiver accepts', async () => {
    const r = await receiver({ status: 408 }, { status: 503 }, { status: 204 });
    const { sleep } = recordingSleep();
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep });
    expect(result).toEqual({ ok: true, attempts: 3, status: 204, error: undefined });
  });

  it('a 429 with Retry-After: 3 waits exactly 3 s before the next attempt', async () => {
    const r = await receiver({ status: 429, headers: { 'retry-after': '3' } }, { status: 200 });
    const { delays, sleep } = recordingSleep();
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep, random: () => 0.5 });
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(delays).toEqual([3000]);
  });

  it('a Retry-After longer than maxDelayMs is cut to maxDelayMs', async () => {
    const r = await receiver({ status: 503, headers: { 'retry-after': '3600' } }, { status: 200 });
    const { delays, sleep } = recordingSleep();
    await deliverWebhook(r.url, PAYLOAD, { sleep, maxDelayMs: 10_000 });
    expect(delays).toEqual([10_000]);
  });

  it('a redirect is not followed and not retried', async () => {
    const r = await receiver({ status: 302, headers: { location: 'https://elsewhere.example/new?token=s3cret' } });
    const { sleep } = recordingSleep();
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep });
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 302 });
    expect(result.error).toContain('https://elsewhere.example/new');
    expect(result.error).toContain('not followed');
    expect(result.error).not.toContain('s3cret');
  });

  it('a refused connection is retried maxAttempts times, then says it could not connect', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hook`;
    const { delays, sleep } = recordingSleep();
    const result = await deliverWebhook(url, PAYLOAD, { sleep, maxAttempts: 3 });
    expect(result).toMatchObject({ ok: false, attempts: 3, status: null });
    expect(result.error).toMatch(/^could not connect to http:\/\/127\.0\.0\.1:\d+\/hook \(ECONNREFUSED/);
    expect(result.error).toContain('after 3 attempts');
    expect(delays).toHaveLength(2);
  });

  it('a receiver that never answers times out on each attempt, then fails with a timeout', async () => {
    const r = await receiver('hang');
    const { delays, sleep } = recordingSleep();
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep, maxAttempts: 2, timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, attempts: 2, status: null });
    expect(result.error).toMatch(/^timed out: .* did not answer within 200 ms \(after 2 attempts\)/);
    expect(delays).toHaveLength(1);
    await waitFor(() => r.received.length === 2, { what: 'both attempts at the receiver' });
  });

  it('an abort during the backoff stops retrying', async () => {
    const r = await receiver({ status: 500 });
    const stop = new AbortController();
    const { delays, sleep } = recordingSleep(() => stop.abort());
    const result = await deliverWebhook(r.url, PAYLOAD, { sleep, signal: stop.signal });
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 500 });
    expect(result.error).toMatch(/^stopped after 1 attempt/);
    expect(delays).toHaveLength(1);
    expect(r.received).toHaveLength(1);
  });

  it('the default sleep ends early on abort, so a long backoff does not hold up shutdown', async () => {
    const r = await receiver({ status: 500 });
    const stop = new AbortController();
    const delivery = deliverWebhook(r.url, PAYLOAD, { signal: stop.signal, baseDelayMs: 60_000, random: () => 1 });
    await waitFor(() => r.received.length === 1, { what: 'the first attempt' });
    stop.abort();
    const result = await delivery;
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/^stopped/);
  });

  it('an abort while waiting for an answer stops the attempt under way', async () => {
    const r = await receiver('hang');
    const stop = new AbortController();
    const delivery = deliverWebhook(r.url, PAYLOAD, { signal: stop.signal, timeoutMs: 30_000 });
    await waitFor(() => r.received.length === 1, { what: 'the request at the receiver' });
    stop.abort();
    expect(await delivery).toMatchObject({ ok: false, attempts: 1, status: null, error: expect.stringMatching(/^stopped/) });
  });

  it('an already aborted signal makes no attempt', async () => {
    const r = await receiver({ status: 200 });
    const result = await deliverWebhook(r.url, PAYLOAD, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ ok: false, attempts: 0, status: null, error: expect.stringMatching(/^stopped before the first attempt/) });
    expect(r.received).toHaveLength(0);
  });

  it('a long error body is cut to 200 characters in the error', async () => {
    const r = await receiver({ status: 500, body: `<html>${'x'.repeat(50_000)}</html>` });
    const result = await deliverWebhook(r.url, PAYLOAD, { maxAttempts: 1 });
    expect(result.status).toBe(500);
    expect(result.error).toContain(`"<html>${'x'.repeat(194)}…"`);
    expect(result.error!.length).toBeLessThan(400);
  });

  it('errors never show the query string, where tokens live', async () => {
    const r = await receiver({ status: 401, body: 'bad token' });
    const rejected = await deliverWebhook(`${r.url}?token=s3cret#frag`, PAYLOAD);
    expect(rejected.status).toBe(401);
    expect(r.received[0]!.path).toBe('/hook?token=s3cret');
    expect(rejected.error).toContain(`${r.url} answered 401 Unauthorized`);
    expect(rejected.error).not.toContain('token=');
    expect(rejected.error).not.toContain('s3cret');

    const refused = await deliverWebhook(`http://127.0.0.1:${await closedPort()}/hook?token=s3cret`, PAYLOAD, { maxAttempts: 1 });
    expect(refused.error).toContain('could not connect');
    expect(refused.error).not.toContain('s3cret');
  });

  it('a bad URL or a payload with no JSON form fails without a request', async () => {
    expect(await deliverWebhook('ftp://127.0.0.1/hook', PAYLOAD)).toEqual({
      ok: false, attempts: 0, status: null, error: 'notify URL: expected an http:// or https:// URL, found ftp:',
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const r = await receiver({ status: 200 });
    const result = await deliverWebhook(r.url, circular);
    expect(result).toMatchObject({ ok: false, attempts: 0, status: null });
    expect(result.error).toContain('could not be turned into JSON');
    expect(r.received).toHaveLength(0);
  });
});

describe('checkWebhookUrl', () => {
  it('accepts http and https URLs, with a path and a query', () => {
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook')).toBeNull();
    expect(checkWebhookUrl('https://hooks.example.com/services/T0/B0?token=abc')).toBeNull();
  });

  it('says why anything else is refused', () => {
    expect(checkWebhookUrl('ftp://files.example.com/drop')).toBe('expected an http:// or https:// URL, found ftp:');
    expect(checkWebhookUrl('hooks.example.com/x')).toBe('expected an http:// or https:// URL, found text that is not a URL');
    expect(checkWebhookUrl('')).toBe('expected an http:// or https:// URL, found an empty value');
    expect(checkWebhookUrl(42)).toBe('expected an http:// or https:// URL, found number');
    expect(checkWebhookUrl(null)).toBe('expected an http:// or https:// URL, found null');
  });

  it('refuses credentials in the URL without repeating them', () => {
    const reason = checkWebhookUrl('https://bot:hunter2@hooks.example.com/x');
    expect(reason).toContain('must not carry credentials');
    expect(reason).not.toContain('hunter2');
  });
});

describe('retryAfterMs and redactUrl', () => {
  const now = Date.parse('2026-11-21T19:36:05Z');

  it('reads Retry-After as seconds or as an HTTP-date', () => {
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Sat, 21 Nov 2026 19:36:15 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Sat, 21 Nov 2026 19:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('keeps only the origin and the first path segment (Slack and Discord keep their secret deeper in the path)', () => {
    expect(redactUrl('https://u:p@hooks.example.com:8443/a/b?token=x#y')).toBe('https://hooks.example.com:8443/a/…');
    expect(redactUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET')).toBe('https://hooks.slack.com/services/…');
    expect(redactUrl('http://127.0.0.1:5555/hook')).toBe('http://127.0.0.1:5555/hook');
    expect(redactUrl('http://127.0.0.1:5555')).toBe('http://127.0.0.1:5555/');
    expect(redactUrl('not a url')).toBe('(invalid URL)');
  });
});
