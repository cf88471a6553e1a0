/**
 * The local HTTP API: `GET /health`, `GET /status`, `POST /messages`, `GET /events`. It is off unless the
 * operator config turns it on, and then it listens on 127.0.0.1 only, wants the config's bearer token on
 * every request, and answers only to a Host of 127.0.0.1:<port> or localhost:<port>, so a web page the
 * operator happens to open cannot reach it by rebinding its own domain name to 127.0.0.1.
 *
 * What the routes do is injected (`ApiHandlers`); this file is the HTTP: auth, limits, status codes, JSON.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { EventStream, type ApiEvent } from './sse.ts';

export type { ApiEvent } from './sse.ts';

export type PostResult = { ok: true; path: string } | { ok: false; status: 400 | 404 | 409 | 422 | 503; error: string };

export interface ApiHandlers {
  /** A small JSON object: is the daemon up. */
  health(): unknown;
  status(): Promise<unknown> | unknown;
  /** `body` is the parsed JSON; the handler validates it as it would a note. */
  postMessage(body: unknown): Promise<PostResult>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

export interface ApiServerOptions {
  /** 0 picks any free port. */
  port: number;
  token: string;
  handlers: ApiHandlers;
  logger: Logger;
  /** How often an idle event stream gets a `: ping` comment line. Default 15 s. */
  heartbeatMs?: number;
  /** Events kept for `Last-Event-ID` replay. Default 500. */
  replay?: number;
  /** Part of every event id; a new one per daemon start. Default random. */
  bootId?: string;
}

export interface ApiServer {
  url: string;
  port: number;
  /** Stops listening and ends every open connection, event streams included. Idempotent. */
  close(): Promise<void>;
}

/** A message is a note; a megabyte of it is already far more than anyone types. */
export const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';
const HOST = '127.0.0.1';

interface Route {
  method: 'GET' | 'POST';
  run(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { handlers, logger } = options;
  if (typeof options.token !== 'string' || options.token.length === 0) {
    throw new Error('the HTTP API needs a token: set one in the operator config before enabling the API');
  }
  if (!Number.isSafeInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(`the HTTP API port must be a whole number from 0 to 65535, got ${options.port}`);
  }
  // Both sides hashed: equal-length buffers for timingSafeEqual, and the token's length does not leak either.
  const tokenDigest = digest(options.token);
  const events = new EventStream({
    bootId: options.bootId ?? randomBytes(6).toString('hex'),
    replay: options.replay ?? 500,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    logger,
  });

  const routes: Record<string, Route> = {
    '/health': { method: 'GET', run: async (_req, res) => sendJson(res, 200, handlers.health()) },
    '/status': { method: 'GET', run: async (_req, res) => sendJson(res, 200, await handlers.status()) },
    '/messages': { method: 'POST', run: (req, res) => postMessage(req, res, handlers) },
    '/events': {
      method: 'GET',
      run: async (req, res) => events.attach(res, header(req, 'last-event-id')),
    },
  };

  let allowedHosts = new Set<string>();
  const server: Server = createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => logger.debug('api request', { method: req.method, path: pathname, status: res.statusCode }));
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      sendJson(res, 403, {
        error: `Host "${req.headers.host ?? ''}" is not served; the API answers only to ${[...allowedHosts].join(' or ')}`,
      });
      return;
    }
    if (!authorized(req.headers.authorization, tokenDigest)) {
      sendJson(
        res,
        401,
        { error: 'missing or wrong token: send "Authorization: Bearer <token>" with the API token from the operator config' },
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
    const route = routes[pathname];
    if (!route) {
      sendJson(res, 404, { error: `no such endpoint: ${pathname} (there are ${Object.keys(routes).join(', ')})` });
      return;
    }
    if (req.method !== route.method) {
      sendJson(res, 405, { error: `${pathname} takes ${route.method}, not ${req.method}` }, { allow: route.method });
      return;
    }
    route.run(req, res).catch((error: unknown) => {
      logger.error('api handler failed', { method: req.method, path: pathname, error });
      if (!res.headersSent) sendJson(res, 500, { error: `${pathname} failed: ${errorMessage(error)}` });
      else res.destroy();
    });
  });

  await listen(server, options.port);
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`${HOST}:${port}`, `localhost:${port}`]);
  server.on('error', (error) => logger.error('api server error', { error }));
  // Subscribed from the start, not per client, so a `tail` that connects late still gets the replay buffer.
  const unsubscribe = handlers.subscribe((event) => events.publish(event));
  const url = `http://${HOST}:${port}`;
  logger.info('api listening', { url });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        unsubscribe();
      } catch (error) {
        logger.warn('api unsubscribe failed', { error });
      }
      events.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets and the just-ended event streams would otherwise hold close() open.
        server.closeAllConnections();
      });
      logger.info('api closed', { url });
    })());

  return { url, port, close };
}

async function postMessage(req: IncomingMessage, res: ServerResponse, handlers: ApiHandlers): Promise<void> {
  const type = header(req, 'content-type');
  if ((type ?? '').split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    sendJson(res, 415, { error: `the body must be JSON with content-type application/json, got ${type ? `"${type}"` : 'no content-type'}` });
    return;
  }
  const declared = Number(header(req, 'content-length') ?? 0);
  const body = declared > MAX_BODY_BYTES ? 'too-large' : await readBody(req, MAX_BODY_BYTES);
  if (body === 'gone') return;
  if (body === 'too-large') {
    sendJson(res, 413, { error: `the body is larger than ${MAX_BODY_BYTES} bytes` });
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    const reason = error instanceof TypeError ? 'it is not UTF-8 text' : errorMessage(error);
    sendJson(res, 400, { error: `body is not valid JSON: ${reason}` });
    return;
  }
  const result = await handlers.postMessage(parsed);
  if (result.ok) sendJson(res, 201, { path: result.path });
  else sendJson(res, result.status, { error: result.error });
}

/**
 * The body, or 'too-large' as soon as it passes `limit`: reading then stops, and the response closes the
 * connection so the rest is never read. 'gone' when the client hung up mid-body: nobody is left to answer.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'gone'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: Buffer | 'too-large' | 'gone') => {
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        done('too-large');
      } else chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks));
    const onClose = () => {
      if (!req.complete) done('gone');
    };
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
    // Answered before the body was read (a refused or oversized upload): close rather than read the rest.
    ...(res.req.complete ? {} : { connection: 'close' }),
    ...headers,
  });
  res.end(text);
}

function authorized(authorization: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), tokenDigest);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? 'the port is in use; choose another port in the operator config (0 picks a free one)'
          : errorMessage(error);
      reject(new Error(`the HTTP API cannot listen on ${HOST}:${port}: ${reason}`));
    };
    server.once('error', onError);
    server.listen({ port, host: HOST, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
