// A fake Anthropic Messages API on 127.0.0.1, so end-to-end tests can drive the REAL `claude -p`
// (ANTHROPIC_BASE_URL=<fake.url>, ANTHROPIC_API_KEY=sk-ant-dummy) with scripted replies.
//
// Findings with Claude Code 2.1.330 (measured against this server, Node 22, two cores):
// - One plain `claude -p "hi" --output-format stream-json --verbose` turn makes exactly ONE request:
//   POST /v1/messages?beta=true (note the query), stream:true, model claude-opus-5-5, max_tokens 128000,
//   plus `thinking`, `context_management`, `output_config`, `metadata` and 12 tools (the rest are
//   deferred behind ToolSearch). No title call, no count_tokens, no non-streaming or small-model call
//   was seen, neither on resume nor in a tool loop. Headers include x-api-key, anthropic-version,
//   anthropic-beta and x-claude-code-session-id.
// - Surprise: `messages` holds a role "system" message. A first turn sends
//   [user: <system-reminder> attribution block + the prompt, system: "# Environment" (cwd, platform)];
//   a resumed turn sends [user, system, assistant, user]. So `msgs=` counts it, and the helpers
//   skip <system-reminder> blocks and look for the last *user* message, not the last message.
// - `--session-id X`, then `--resume X` with the same CLAUDE_CONFIG_DIR: the second request carries
//   the first prompt, the first assistant reply and the new prompt.
// - A Write tool_use with `--permission-mode acceptEdits` and an absolute path inside cwd writes the
//   file; the CLI then sends a second streaming request ending in a user message with the
//   tool_result "File created successfully at: <path> ...". The handler must answer that with text.
// - Without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 the CLI also sends `HEAD /api/hello` to the
//   base URL and resolves api.anthropic.com (DNS queries seen with strace); with it, the Messages
//   request is the only connection. DISABLE_TELEMETRY / DISABLE_AUTOUPDATER / DISABLE_ERROR_REPORTING
//   alone do not stop that; they are set anyway in case a later version consults them.
// - CLAUDE_CODE_MAX_RETRIES=0 is honoured: 500, 529, 429 and 401 each give ONE request, exit 1 and a
//   result with subtype "success", is_error true, api_error_status set, in ~0.35 s. With 1 retry a
//   500 takes ~0.9 s; the default (10 retries, backoff up to ~40 s) makes a 529 take ~3 minutes.
//   401 reads "Failed to authenticate. API Error: 401 <message>" with a custom message.
// - close() during a `hang` reply resets the socket: the CLI ends with "API Error: Connection dropped
//   (ECONNRESET)..." and exit 1 (with retries 0).
// - Time per turn: ~0.35-0.4 s wall clock for the whole process (result.duration_ms ~100 ms);
//   a tool_use round trip adds ~30 ms.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** A content block as the CLI sends it; only the fields the helpers read are typed. */
export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | ContentBlock[];
  is_error?: boolean;
  [key: string]: unknown;
}

export interface ApiMessage {
  /** 'user' | 'assistant', and 2.1.330 also sends a 'system' message carrying the environment. */
  role: string;
  content: string | ContentBlock[];
}

export interface MessagesRequestBody {
  model: string;
  messages: ApiMessage[];
  system?: string | ContentBlock[];
  stream?: boolean;
  tools?: Array<{ name: string; [key: string]: unknown }>;
  max_tokens?: number;
  [key: string]: unknown;
}

export interface RecordedRequest {
  /** 1-based position among POST /v1/messages requests (the "#n" of the default reply). */
  n: number;
  method: string;
  /** Path without the query: the CLI sends `/v1/messages?beta=true`. */
  path: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: MessagesRequestBody;
}

export interface OtherRequest {
  method: string;
  path: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface ToolUseSpec {
  name: string;
  input: Record<string, unknown>;
  /** Defaults to `toolu_fake_<n>_<i>`; ids must be unique within a conversation. */
  id?: string;
}

export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
}

export type FakeReply =
  | { text: string; toolUse?: undefined; usage?: FakeUsage }
  | { text?: string; toolUse: ToolUseSpec | ToolUseSpec[]; usage?: FakeUsage }
  | { error: { status: number; type: string; message: string; headers?: Record<string, string> } }
  | { hang: true };

/** May be async, so a test can hold a reply until it has checked something (no sleeps). */
export type FakeHandler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeAnthropicOptions {
  handler?: FakeHandler;
  /** 0 (default) picks a free port. */
  port?: number;
  /** What /v1/messages/count_tokens answers. */
  countTokens?: number;
}

export interface FakeAnthropic {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly url: string;
  /** Every POST /v1/messages, in arrival order (recorded before the handler runs). */
  readonly requests: readonly RecordedRequest[];
  /** count_tokens, 404s, unparseable bodies: anything that is not a Messages call. */
  readonly otherRequests: readonly OtherRequest[];
  /** Replace the handler; no argument restores the default echo reply. */
  setHandler(handler?: FakeHandler): void;
  /** Resolves with the count-th Messages request once it has arrived; rejects on close. */
  waitForRequests(count: number): Promise<RecordedRequest>;
  /** Ends hanging replies and stops the server; safe to call twice. */
  close(): Promise<void>;
}

// Fixed token counts keep result.total_cost_usd deterministic across runs.
const DEFAULT_INPUT_TOKENS = 10;
const DEFAULT_OUTPUT_TOKENS = 5;
// Text is streamed in pieces so the CLI's delta concatenation is exercised as with the real API.
const TEXT_CHUNK = 64;

const REMINDER_PREFIX = '<system-reminder>';

function blocksOf(content: string | ContentBlock[] | undefined): ContentBlock[] {
  if (content === undefined) return [];
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function isPromptText(block: ContentBlock): block is ContentBlock & { text: string } {
  return block.type === 'text' && typeof block.text === 'string' && !block.text.trimStart().startsWith(REMINDER_PREFIX);
}

function toolResultText(block: ContentBlock): string {
  return blocksOf(block.content)
    .map((b) => b.text ?? '')
    .join('\n');
}

/**
 * Text of the last user message that has any, without the CLI's <system-reminder> blocks:
 * the prompt of the current turn, also while the turn is inside a tool loop.
 */
export function lastUserText(req: RecordedRequest): string {
  const messages = req.body.messages;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== 'user') continue;
    const texts = blocksOf(message.content).filter(isPromptText).map((b) => b.text);
    if (texts.length > 0) return texts.join('\n');
  }
  return '';
}

/** All user texts (no system reminders) and tool_result contents, in order, one per line. */
export function allUserTexts(req: RecordedRequest): string {
  const parts: string[] = [];
  for (const message of req.body.messages) {
    if (message.role !== 'user') continue;
    for (const block of blocksOf(message.content)) {
      if (isPromptText(block)) parts.push(block.text);
      else if (block.type === 'tool_result') parts.push(toolResultText(block));
    }
  }
  return parts.join('\n');
}

/** Top-level `system` plus the text of role:"system" messages (where 2.1.330 puts the environment). */
export function systemText(req: RecordedRequest): string {
  const parts = blocksOf(req.body.system).map((b) => b.text ?? '');
  for (const message of req.body.messages) {
    if (message.role === 'system') parts.push(...blocksOf(message.content).map((b) => b.text ?? ''));
  }
  return parts.join('\n');
}

/** The tool result in the last user message the model was sent, as text; undefined when it holds none. */
export function lastToolResult(req: RecordedRequest): { text: string; isError: boolean } | undefined {
  const last = req.body.messages.filter((m) => m.role === 'user').at(-1)?.content;
  const block = (Array.isArray(last) ? last : []).find((b) => b.type === 'tool_result');
  if (!block) return undefined;
  const content = block.content;
  const text = typeof content === 'string' ? content : (content ?? []).map((b) => b.text ?? '').join('');
  return { text, isError: block.is_error === true };
}

/** Replies in order, then falls back to the default echo (an extra auxiliary call never fails a test). */
export function replySequence(...replies: FakeReply[]): FakeHandler {
  let next = 0;
  return (req) => replies[next++] ?? defaultReply(req);
}

export function defaultReply(req: RecordedRequest): FakeReply {
  const last = lastUserText(req).slice(0, 60);
  return { text: `fake reply #${req.n}; msgs=${req.body.messages.length}; last=${last}` };
}

const REPO_BIN = fileURLToPath(new URL('../../node_modules/.bin', import.meta.url));

/**
 * Environment for spawning the real CLI against `fake`, isolated in `homeDir` (HOME and
 * CLAUDE_CONFIG_DIR=<homeDir>/.claude). Inherited CLAUDECODE, CLAUDE_CODE_*, ANTHROPIC_* and XDG_*
 * are dropped: a parent Claude session or a developer's key must not leak into a test. Retries
 * default to 0 so error scenarios end after one request; `overrides` wins (undefined deletes).
 */
export function claudeEnv(
  fake: Pick<FakeAnthropic, 'url'>,
  homeDir: string,
  overrides: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      key === 'CLAUDECODE' ||
      key === 'CLAUDE_CONFIG_DIR' ||
      key.startsWith('CLAUDE_CODE_') ||
      key.startsWith('ANTHROPIC_') ||
      key.startsWith('XDG_')
    ) {
      continue;
    }
    env[key] = value;
  }
  Object.assign(env, {
    PATH: [REPO_BIN, process.env.PATH].filter(Boolean).join(path.delimiter),
    HOME: homeDir,
    CLAUDE_CONFIG_DIR: path.join(homeDir, '.claude'),
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'sk-ant-dummy',
    // The one that matters: without it the CLI pings the base URL and resolves api.anthropic.com.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
  });
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

interface Waiter {
  count: number;
  resolve: (req: RecordedRequest) => void;
  reject: (err: Error) => void;
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const otherRequests: OtherRequest[] = [];
  const waiters: Waiter[] = [];
  let handler: FakeHandler = options.handler ?? defaultReply;
  let closing: Promise<void> | undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable if writing the response itself failed; the socket is gone or broken.
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = req.url ?? '/';
    const pathname = new URL(url, 'http://fake.invalid').pathname;
    const base = { method: req.method ?? 'GET', path: pathname, url, headers: req.headers };

    if (req.method === 'POST' && pathname === '/v1/messages') {
      let body: MessagesRequestBody;
      try {
        body = JSON.parse(raw) as MessagesRequestBody;
      } catch {
        otherRequests.push({ ...base, body: raw });
        sendError(res, 'req_fake_bad', { status: 400, type: 'invalid_request_error', message: 'body is not JSON' });
        return;
      }
      const recorded: RecordedRequest = { ...base, n: requests.length + 1, body };
      requests.push(recorded);
      settleWaiters();
      let reply: FakeReply;
      try {
        reply = await handler(recorded);
      } catch (err) {
        // Surfaces a broken test script in the CLI's result text instead of a hung turn.
        reply = { error: { status: 500, type: 'api_error', message: `fake handler threw: ${String(err)}` } };
      }
      // The CLI may have given up (timeout, signal) or close() may have run while the handler waited.
      if (!res.destroyed) sendReply(res, recorded, reply);
      return;
    }

    otherRequests.push({ ...base, body: parseMaybeJson(raw) });
    if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: options.countTokens ?? DEFAULT_INPUT_TOKENS });
      return;
    }
    sendError(res, 'req_fake_404', { status: 404, type: 'not_found_error', message: `no fake for ${base.method} ${pathname}` });
  }

  function settleWaiters(): void {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      const req = waiter ? requests[waiter.count - 1] : undefined;
      if (waiter && req) {
        waiters.splice(i, 1);
        waiter.resolve(req);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    otherRequests,
    setHandler(next?: FakeHandler): void {
      handler = next ?? defaultReply;
    },
    waitForRequests(count: number): Promise<RecordedRequest> {
      const ready = requests[count - 1];
      if (ready) return Promise.resolve(ready);
      if (closing) return Promise.reject(new Error(`fake Anthropic closed before request #${count}`));
      return new Promise((resolve, reject) => waiters.push({ count, resolve, reject }));
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const waiter of waiters.splice(0)) {
          waiter.reject(new Error(`fake Anthropic closed before request #${waiter.count}`));
        }
        // Hanging replies and the CLI's keep-alive sockets would otherwise hold close() open.
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseMaybeJson(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  requestId: string,
  error: { status: number; type: string; message: string; headers?: Record<string, string> },
): void {
  // The real API's error envelope; the CLI copies error.type into result.api_error_type.
  sendJson(
    res,
    error.status,
    { type: 'error', error: { type: error.type, message: error.message }, request_id: requestId },
    { 'request-id': requestId, ...error.headers },
  );
}

function sendReply(res: ServerResponse, req: RecordedRequest, reply: FakeReply): void {
  const requestId = `req_fake_${req.n}`;
  if ('hang' in reply) return; // left open; close() destroys the socket
  if ('error' in reply) {
    sendError(res, requestId, reply.error);
    return;
  }
  const content: ContentBlock[] = [];
  if (reply.text !== undefined && reply.text !== '') content.push({ type: 'text', text: reply.text });
  const toolUses = reply.toolUse === undefined ? [] : Array.isArray(reply.toolUse) ? reply.toolUse : [reply.toolUse];
  toolUses.forEach((tool, i) => {
    content.push({ type: 'tool_use', id: tool.id ?? `toolu_fake_${req.n}_${i}`, name: tool.name, input: tool.input });
  });
  const message = {
    id: `msg_fake_${req.n}`,
    type: 'message',
    role: 'assistant',
    model: req.body.model,
    stop_reason: toolUses.length > 0 ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: reply.usage?.input_tokens ?? DEFAULT_INPUT_TOKENS,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: reply.usage?.output_tokens ?? DEFAULT_OUTPUT_TOKENS,
    },
  };
  if (req.body.stream === true) streamMessage(res, requestId, message, content);
  else sendJson(res, 200, { ...message, content }, { 'request-id': requestId });
}

// The real API's event order: message_start (empty content, output_tokens 1), per block
// start/delta.../stop, message_delta (stop_reason, final output usage), message_stop.
function streamMessage(
  res: ServerResponse,
  requestId: string,
  message: { stop_reason: string; usage: { output_tokens: number } } & Record<string, unknown>,
  content: ContentBlock[],
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': requestId,
  });
  const send = (type: string, data: Record<string, unknown> = {}): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  send('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
  });
  send('ping');
  content.forEach((block, index) => {
    if (block.type === 'tool_use') {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    } else {
      const text = block.text ?? '';
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (let at = 0; at < text.length; at += TEXT_CHUNK) {
        send('content_block_delta', { index, delta: { type: 'text_delta', text: text.slice(at, at + TEXT_CHUNK) } });
      }
    }
    send('content_block_stop', { index });
  });
  send('message_delta', {
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: message.usage.output_tokens },
  });
  send('message_stop');
  res.end();
}
