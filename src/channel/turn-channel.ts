import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../util/logger.ts';
import { errorMessage } from '../util/errors.ts';
import { CHANNEL_ROUTES, type AskAnswer, type ChannelAddress, type PermissionAnswer, type PermissionCall } from './protocol.ts';

/** What one running turn answers on the channel: set by the daemon for that turn, never by the model. */
export interface TurnLine {
  /** A tool call that needs permission (`--permission-prompt-tool`): allowed, or denied with a reason. */
  permission(call: PermissionCall, signal: AbortSignal): Promise<PermissionAnswer>;
  /** `ask_user`: the question is kept for the end of the turn; the answer tells the model what happens next. */
  ask(question: string): Promise<AskAnswer>;
}

/** The largest request body: a Write's whole content comes with its permission call. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * How a turn's `scriptorium mcp` (started by Claude Code, two processes below the daemon) reaches the
 * daemon: HTTP on a Unix socket in a folder only this user can enter, outside the vault (nothing synced,
 * nothing an agent's file tools may reach). Each turn gets its own random token; a request without a live
 * token is refused. A permission call is one long request: it is answered when a person decides.
 */
export class TurnChannel {
  readonly #logger: Logger;
  readonly #lines = new Map<string, { line: TurnLine; abort: AbortController }>();
  #server: Server | undefined;
  #dir: string | undefined;
  #socket = '';

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    // mkdtemp makes the folder 0700: no other user can reach the socket inside it.
    this.#dir = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-'));
    this.#socket = path.join(this.#dir, 'turns.sock');
    const server = createServer((req, res) => void this.#serve(req, res));
    // Long requests are the point (a permission call waits for a person): no server-side time limits.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    server.timeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#socket, () => resolve());
    });
    this.#server = server;
  }

  /** The address the turn's MCP server is given, with a token of its own; `close()` ends the line (the turn ended). */
  open(line: TurnLine): { address: ChannelAddress; close(): void } {
    if (!this.#server) throw new Error('the turn channel is not started');
    const token = randomBytes(24).toString('hex');
    const abort = new AbortController();
    this.#lines.set(token, { line, abort });
    return {
      address: { socket: this.#socket, token },
      close: () => {
        abort.abort();
        this.#lines.delete(token);
      },
    };
  }

  async close(): Promise<void> {
    for (const { abort } of this.#lines.values()) abort.abort();
    this.#lines.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      if (res.writableEnded) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const entry = token ? this.#lines.get(token) : undefined;
    if (!entry) return reply(403, { error: 'no running turn has this token' });
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (error) {
      return reply(400, { error: `unreadable request: ${errorMessage(error)}` });
    }
    try {
      if (req.url === CHANNEL_ROUTES.permission) {
        const call = body as PermissionCall;
        if (typeof call?.tool_name !== 'string') return reply(400, { error: 'tool_name is missing' });
        // The turn may end while a person has not decided: its line closes and the call is answered.
        const signal = AbortSignal.any([entry.abort.signal, closedSignal(res)]);
        return reply(200, await entry.line.permission({ tool_name: call.tool_name, input: call.input ?? {}, tool_use_id: call.tool_use_id }, signal));
      }
      if (req.url === CHANNEL_ROUTES.ask) {
        const question = (body as { question?: unknown })?.question;
        if (typeof question !== 'string' || !question.trim()) return reply(400, { error: 'question is missing' });
        return reply(200, await entry.line.ask(question));
      }
      return reply(404, { error: `no route ${req.url}` });
    } catch (error) {
      this.#logger.error('turn channel request failed', { route: req.url, error: errorMessage(error) });
      return reply(500, { error: errorMessage(error) });
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Aborted when the caller hangs up (the turn's process ended). */
function closedSignal(res: ServerResponse): AbortSignal {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableEnded) abort.abort();
  });
  return abort.signal;
}
