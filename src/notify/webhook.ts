// Outbound notes POSTed to an agent's `notify:` URL. A receiver that is down or overloaded (5xx, 408, 429,
// no connection, no answer in time) is tried again with backoff; one that rejects the note (any other 4xx,
// or a redirect, which is never followed) fails at once, since sending the same bytes again cannot help.
// Nothing here throws: every outcome is a WebhookResult the caller stamps on the outbound note.
import { STATUS_CODES } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';

export interface WebhookResult {
  ok: boolean;
  attempts: number;
  /** HTTP status of the last attempt, null when it never got an answer (network error, timeout). */
  status: number | null;
  /** On failure: one sentence a person can act on (no secrets, no full bodies: cut the response text to 200 chars). */
  error: string | undefined;
}

export interface DeliverOptions {
  maxAttempts?: number;
  /** Backoff before retry n is a random share (full jitter) of min(maxDelayMs, baseDelayMs * 2^(n-1)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per attempt, covering the headers and the body of the answer. */
  timeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Shutdown: stop retrying (and abort the attempt under way); the result says "stopped ...". */
  signal?: AbortSignal;
  userAgent?: string;
  dispatcher?: Dispatcher;
}

const DEFAULTS = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 60_000, timeoutMs: 10_000, userAgent: 'scriptorium' };
/** How much of an error answer is kept for the message; the rest of the body is discarded. */
const SNIPPET_CHARS = 200;
/** Read at most this much of an error body; a receiver streaming megabytes of HTML gets its socket closed. */
const SNIPPET_READ_BYTES = 8 * 1024;

/** null if `value` can be a notify URL, else why not (never echoing the value: it may hold a token). */
export function checkWebhookUrl(value: unknown): string | null {
  if (typeof value !== 'string') return `expected an http:// or https:// URL, found ${value === null ? 'null' : typeof value}`;
  if (value.trim() === '') return 'expected an http:// or https:// URL, found an empty value';
  if (!URL.canParse(value)) return 'expected an http:// or https:// URL, found text that is not a URL';
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `expected an http:// or https:// URL, found ${url.protocol}`;
  if (url.username !== '' || url.password !== '') {
    return 'the URL must not carry credentials (user:password@host); put a token in its path or query string instead';
  }
  return null;
}

/** The URL as it may appear in errors and logs: origin and path, never userinfo, query or fragment. */
export function redactUrl(value: string): string {
  if (!URL.canParse(value)) return '(invalid URL)';
  const url = new URL(value);
  // Slack, Discord and others carry the secret in the path (`/services/T0/B0/<secret>`): past its first
  // segment, the path is not shown either.
  const [first, ...rest] = url.pathname.split('/').filter(Boolean);
  return url.origin + (first ? `/${first}${rest.length > 0 ? '/…' : ''}` : '/');
}

/**
 * The parts of a URL that may be a secret, for the daemon's redactor: userinfo, the query (whole and each
 * value), the fragment, and long path segments past the first (Slack and Discord put the token there). A
 * short path segment is a word (`hook`, `services`) that must not be replaced in every note.
 */
export function urlSecrets(value: string): string[] {
  if (!URL.canParse(value)) return [];
  const url = new URL(value);
  const segments = url.pathname.split('/').filter(Boolean).slice(1);
  const parts = [url.username, url.password, url.search.slice(1), url.hash.slice(1), ...url.searchParams.values(), ...segments.filter((s) => s.length >= 16)];
  // Both forms: the text may quote the URL as written (percent-encoded) or as read (decoded).
  return [...new Set(parts.flatMap((part) => [part, safeDecode(part)]))].filter(Boolean);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A `Retry-After` value (delay in seconds, or an HTTP-date) in ms from `nowMs`; undefined if unreadable. */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

type Attempt =
  | { kind: 'answered'; status: number; retryAfterMs: number | undefined; snippet: string; location: string | undefined }
  | { kind: 'timeout' }
  | { kind: 'stopped' }
  | { kind: 'network'; code: string | undefined };

export async function deliverWebhook(url: string, payload: unknown, options: DeliverOptions = {}): Promise<WebhookResult> {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULTS.maxAttempts));
  const baseDelayMs = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const signal = options.signal;

  const problem = checkWebhookUrl(url);
  if (problem) return fail(0, null, `notify URL: ${problem}`);
  const where = redactUrl(url);
  let body: string | undefined;
  try {
    body = JSON.stringify(payload);
  } catch (error) {
    return fail(0, null, `the note could not be turned into JSON for ${where} (${error instanceof Error ? error.message : String(error)})`);
  }
  if (body === undefined) return fail(0, null, `there was nothing to send to ${where} (the payload has no JSON form)`);

  let last: Attempt | undefined;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) return stopped(attempt - 1, last, where);
    last = await attemptOnce(url, body, timeoutMs, options.userAgent ?? DEFAULTS.userAgent, options.dispatcher, signal);
    if (last.kind === 'stopped') return stopped(attempt, undefined, where);
    const status = last.kind === 'answered' ? last.status : null;
    if (status !== null && status >= 200 && status < 300) return { ok: true, attempts: attempt, status, error: undefined };
    if (!retryable(last)) return fail(attempt, status, explain(last, where, timeoutMs, attempt, false));
    if (attempt >= maxAttempts) return fail(attempt, status, explain(last, where, timeoutMs, attempt, true));

    const backoff = Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    const told = last.kind === 'answered' && (last.status === 429 || last.status === 503) ? last.retryAfterMs : undefined;
    try {
      await sleep(told === undefined ? backoff : Math.min(told, maxDelayMs), signal);
    } catch {
      // An aborted sleep rejects; whether that means "stop" is decided by the signal at the top of the loop.
    }
  }
}

function retryable(attempt: Attempt): boolean {
  if (attempt.kind !== 'answered') return true;
  return attempt.status >= 500 || attempt.status === 408 || attempt.status === 429;
}

/** The query, fragment and userinfo of `url`, wherever they appear in `text`, replaced. */
export function scrubUrlSecrets(text: string, url: string): string {
  let secrets: string[];
  try {
    const u = new URL(url);
    secrets = [u.search.slice(1), u.hash.slice(1), ...u.searchParams.values(), u.username, u.password];
  } catch {
    return text;
  }
  return secrets
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length)
    .reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

async function attemptOnce(
  url: string,
  body: string,
  timeoutMs: number,
  userAgent: string,
  dispatcher: Dispatcher | undefined,
  stop: AbortSignal | undefined,
): Promise<Attempt> {
  // One signal for both headers and body: a receiver that answers the headers and then stalls still times out.
  const timer = new AbortController();
  const handle = setTimeout(() => timer.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  const signal = stop ? AbortSignal.any([stop, timer.signal]) : timer.signal;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent },
      body,
      signal,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const { statusCode, headers } = response;
    // The body is always read or dumped: an unconsumed undici body keeps its socket from going back to the pool.
    if (statusCode >= 200 && statusCode < 300) {
      // The receiver has accepted the note; a body that then stalls or breaks does not undo that.
      await response.body.dump().catch(() => {});
      return { kind: 'answered', status: statusCode, retryAfterMs: undefined, snippet: '', location: undefined };
    }
    const location = typeof headers.location === 'string' ? headers.location : undefined;
    return {
      kind: 'answered',
      status: statusCode,
      retryAfterMs: retryAfterMs(headers['retry-after'], Date.now()),
      // A receiver may echo the request URL (and so its token) in its error: scrubbed before it is kept.
      snippet: scrubUrlSecrets(await readSnippet(response.body), url),
      location,
    };
  } catch (error) {
    if (stop?.aborted) return { kind: 'stopped' };
    if (timer.signal.aborted) return { kind: 'timeout' };
    return networkAttempt(error);
  } finally {
    clearTimeout(handle);
  }
}

/** The start of an error body as one line, for the message; breaking off mid-body closes the socket. */
async function readSnippet(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= SNIPPET_READ_BYTES) break;
    }
  } catch {
    // A body that fails part-way still has a status worth reporting; keep what arrived.
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
}

function networkAttempt(error: unknown): Attempt {
  // Only the error code is kept: messages may quote the host and path in forms redactUrl never saw.
  const err = error as { code?: unknown; errors?: unknown; cause?: { code?: unknown } } | null;
  const nested = Array.isArray(err?.errors) ? (err.errors[0] as { code?: unknown } | undefined) : err?.cause;
  const code = [err?.code, nested?.code].find((c): c is string => typeof c === 'string');
  return { kind: 'network', code };
}

const NETWORK_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be looked up',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection broke',
};

function explain(last: Exclude<Attempt, { kind: 'stopped' }>, where: string, timeoutMs: number, attempts: number, exhausted: boolean): string {
  const after = exhausted ? ` (after ${attempts} attempt${attempts === 1 ? '' : 's'})` : '';
  switch (last.kind) {
    case 'network': {
      const why = last.code ? `${last.code}${NETWORK_HINTS[last.code] ? `: ${NETWORK_HINTS[last.code]}` : ''}` : 'network error';
      return `could not connect to ${where} (${why})${after}; check that the receiver is running and the notify URL is right`;
    }
    case 'timeout':
      return `timed out: ${where} did not answer within ${formatMs(timeoutMs)}${after}; the receiver is too slow or unreachable`;
    case 'answered': {
      const answer = `${where} answered ${last.status}${STATUS_CODES[last.status] ? ` ${STATUS_CODES[last.status]}` : ''}`;
      const said = last.snippet ? `: "${last.snippet}"` : '';
      if (last.status >= 300 && last.status < 400) {
        const to = last.location && URL.canParse(last.location, where) ? ` to ${redactUrl(new URL(last.location, where).href)}` : '';
        return `${answer}, redirecting${to}; redirects are not followed, so set notify to the final URL`;
      }
      if (exhausted) return `${answer}${said}${after}; the receiver is failing or overloaded`;
      return `${answer}${said}; not retried, since the receiver rejected the note (check the notify URL and what the receiver expects)`;
    }
  }
}

function stopped(attempts: number, last: Attempt | undefined, where: string): WebhookResult {
  const status = last?.kind === 'answered' ? last.status : null;
  const before = attempts === 0 ? 'before the first attempt' : `after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return fail(attempts, status, `stopped ${before} to deliver to ${where}, because Scriptorium is shutting down`);
}

function fail(attempts: number, status: number | null, error: string): WebhookResult {
  return { ok: false, attempts, status, error };
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : {});
}
