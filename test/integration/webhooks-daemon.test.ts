// `notify:` webhooks through the real daemon: the real watcher, the fake `claude`, real notes, and a real
// HTTP receiver on 127.0.0.1. Backoff is a 1 ms base delay, so retries follow each other at once.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SAFE_POLICY } from '../../src/agents/policy.ts';
import { createHarness, linkedPath, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { note } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver answers one request; the last answer repeats for every request after it. */
type Answer = { status: number; body?: string } | ((req: Received) => { status: number; body?: string });

interface Receiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  received: Received[];
}

const servers: Server[] = [];
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function receiver(...answers: Answer[]): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const answer = answers[Math.min(received.length, answers.length) - 1]!;
      const { status, body } = typeof answer === 'function' ? answer(request) : answer;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** A daemon whose operator allows posting to `allowed`, with near-instant backoff. */
async function daemonAllowing(allowed: string[], files: Record<string, string> = {}, env: Record<string, string> = {}): Promise<Harness> {
  h = await createHarness({
    files,
    env,
    config: { notifyBaseDelayMs: 1, notifyMaxAttempts: 5, policy: { ...SAFE_POLICY, allowedNotifyUrls: allowed } },
  });
  return h;
}

/** A reply note once its webhook is no longer pending; returns its fields. */
async function notified(harness: Harness, replyPath: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const fields = await harness.vault.fields(replyPath);
      return fields.notify_status === 'delivered' || fields.notify_status === 'failed' ? fields : null;
    },
    { what: `${replyPath} notify_status delivered or failed` },
  );
}

/** Runs one message to `agent` and returns the path of its reply note. */
async function replyTo(harness: Harness, name: string, agent: string, text: string): Promise<string> {
  const msg = await harness.vault.writeMessage(name, agent, text);
  const done = await waitForStatus(harness.vault, msg, 'done');
  return linkedPath(done.reply);
}

describe('notify: webhooks through the daemon', () => {
  it('a receiver that answers 500, 500, then 200 gets the reply as JSON three times, and the note says delivered after 3 attempts', async () => {
    const rx = await receiver({ status: 500, body: 'down' }, { status: 500, body: 'down' }, { status: 200, body: 'ok' });
    const harness = await daemonAllowing([rx.url], {}, { FAKE_CLAUDE_REPLY: 'Here is the news: all quiet.' });
    await harness.vault.writeAgent('herald', { notify: rx.url });
    await harness.start();

    const replyPath = await replyTo(harness, 'News', 'herald', 'What is new today?');
    // The reply is written pending, before the first attempt: a stop mid-delivery leaves it to send again.
    expect(await harness.vault.read(replyPath)).toMatch(/^notify_status: pending$/m);
    const fields = await notified(harness, replyPath);
    await harness.daemon.idle();

    expect(fields.notify_status).toBe('delivered');
    expect(fields.notify_attempts).toBe(3);
    expect(typeof fields.notified_at).toBe('string');
    expect(fields.notify_error).toBeUndefined();

    expect(rx.received).toHaveLength(3);
    for (const request of rx.received) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/hook');
      expect(request.headers['content-type']).toBe('application/json');
      // Every attempt sends the same bytes.
      expect(request.body).toBe(rx.received[0]!.body);
    }
    const payload = JSON.parse(rx.received[0]!.body) as Record<string, unknown>;
    expect(payload).toMatchObject({
      event: 'reply',
      agent: 'herald',
      to: 'user',
      status: 'ok',
      note: replyPath,
      in_reply_to: 'Inbox/News.md',
      thread: 'Threads/herald.md',
      text: 'Here is the news: all quiet.',
    });
    expect(payload.text).toBe((await harness.vault.body(replyPath)).trim());
    expect(harness.logs('reply delivered to webhook', { note: replyPath, attempts: 3 })).toHaveLength(1);
  });

  it('a receiver that answers 400 is not tried again: the note says failed after 1 attempt, naming the 400', async () => {
    const rx = await receiver({ status: 400, body: 'missing field "channel"' });
    const harness = await daemonAllowing([rx.url]);
    await harness.vault.writeAgent('herald', { notify: rx.url });
    await harness.start();

    const replyPath = await replyTo(harness, 'News', 'herald', 'What is new today?');
    const fields = await notified(harness, replyPath);
    await harness.daemon.idle();

    expect(fields.notify_status).toBe('failed');
    expect(fields.notify_attempts).toBe(1);
    expect(typeof fields.notified_at).toBe('string');
    expect(String(fields.notify_error)).toContain('400');
    expect(String(fields.notify_error)).toContain('missing field "channel"');
    expect(rx.received).toHaveLength(1);
    expect(harness.logs('reply not delivered to webhook', { note: replyPath })).toHaveLength(1);
  });

  it('a notify address the operator has not allowed makes the definition invalid, and its message fails without a POST', async () => {
    const allowed = await receiver({ status: 200 });
    const elsewhere = await receiver({ status: 200 });
    const harness = await daemonAllowing([allowed.url]);
    const definition = await harness.vault.writeAgent('leaker', { notify: elsewhere.url });
    // Same host and port as the allowed prefix, another path: a prefix is a path prefix, not a host.
    const sidePath = await harness.vault.writeAgent('sidestep', { notify: allowed.url.replace(/\/hook$/, '/other') });
    await harness.start();

    const defFields = await waitFor(async () => {
      const f = await harness.vault.fields(definition);
      return typeof f.error === 'string' ? f : null;
    }, { what: 'the definition error' });
    expect(String(defFields.error)).toMatch(/^notify: /);
    expect(String(defFields.error)).toContain('allowed_notify_urls');
    expect(String((await harness.vault.fields(sidePath)).error)).toMatch(/^notify: /);

    const msg = await harness.vault.writeMessage('Leak', 'leaker', 'Send this out, please.');
    const failed = await waitForStatus(harness.vault, msg, 'error');
    expect(String(failed.error)).toContain('invalid definition');
    expect(String(failed.error)).toContain('notify');
    await harness.daemon.idle();

    expect(harness.fake.invocations()).toHaveLength(0);
    expect(elsewhere.received).toHaveLength(0);
    expect(allowed.received).toHaveLength(0);
  });

  it('a reply left notify_status: pending before the start is delivered at start', async () => {
    const rx = await receiver({ status: 204 });
    const replyPath = 'Outbox/2026-06-01 090000 herald - Old question.md';
    const pending = note(
      {
        tags: ['agent/message/outbound'],
        from: 'herald',
        to: 'user',
        status: 'ok',
        in_reply_to: '[[Inbox/Old question]]',
        thread: '[[Threads/herald]]',
        created: '2026-06-01T09:00:00+00:00',
        notify_status: 'pending',
      },
      'An answer from before the restart.',
    );
    const harness = await daemonAllowing([rx.url], { [replyPath]: pending });
    await harness.vault.writeAgent('herald', { notify: rx.url });
    await harness.start();

    const fields = await notified(harness, replyPath);
    await harness.daemon.idle();
    expect(fields.notify_status).toBe('delivered');
    expect(fields.notify_attempts).toBe(1);
    expect(rx.received).toHaveLength(1);
    expect(JSON.parse(rx.received[0]!.body)).toMatchObject({
      event: 'reply',
      agent: 'herald',
      to: 'user',
      status: 'ok',
      note: replyPath,
      in_reply_to: 'Inbox/Old question.md',
      thread: 'Threads/herald.md',
      text: 'An answer from before the restart.',
    });
    // Nothing was run to deliver it.
    expect(harness.fake.invocations()).toHaveLength(0);
    // The note keeps its text; only the notify_ fields changed.
    expect(await harness.vault.body(replyPath)).toBe('An answer from before the restart.\n');
  });

  describe('a token in the notify URL stays out of notes and logs', () => {
    const secret = 'supersecret';

    async function failedDelivery(answer: Answer): Promise<{ harness: Harness; fields: Record<string, unknown>; rx: Receiver }> {
      const rx = await receiver(answer);
      const harness = await daemonAllowing([rx.url]);
      await harness.vault.writeAgent('herald', { notify: `${rx.url}?token=${secret}` });
      await harness.start();
      const replyPath = await replyTo(harness, 'News', 'herald', 'What is new today?');
      const fields = await notified(harness, replyPath);
      await harness.daemon.idle();
      return { harness, fields, rx };
    }

    /**
     * Every file of the vault but the definition (where the user put the token) and every log line, once
     * the daemon has stopped: its last writes are in, and no temp file of its vanishes during the scan.
     */
    async function leaks(harness: Harness): Promise<string[]> {
      await harness.daemon.close();
      const found: string[] = [];
      for (const file of await harness.vault.listAll({ withDotFolders: true })) {
        if (file === 'Agents/herald.md') continue;
        if ((await harness.vault.read(file)).includes(secret)) found.push(file);
      }
      for (const line of harness.logger.lines) if (JSON.stringify(line).includes(secret)) found.push(`log: ${line.msg}`);
      return found;
    }

    it('a receiver that rejects the note: the failure names the address without its query string', async () => {
      const { harness, fields, rx } = await failedDelivery({ status: 400, body: 'bad request' });
      // The token did reach the receiver: it is the receiver's to see.
      expect(rx.received[0]!.path).toBe(`/hook?token=${secret}`);
      expect(fields.notify_status).toBe('failed');
      expect(String(fields.notify_error)).toContain(rx.url);
      expect(String(fields.notify_error)).not.toContain(secret);
      expect(await leaks(harness)).toEqual([]);
    });

    it('a receiver that quotes the request URL back in its error body: the token is still not on the note', async () => {
      const { harness, fields } = await failedDelivery((req) => ({ status: 404, body: `Cannot POST ${req.path}` }));
      expect(fields.notify_status).toBe('failed');
      expect(String(fields.notify_error)).toContain('404');
      expect(String(fields.notify_error)).not.toContain(secret);
      expect(await leaks(harness)).toEqual([]);
    });
  });
});
