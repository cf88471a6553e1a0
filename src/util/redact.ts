/**
 * Secrets never reach a note or a log. Three nets: the values of this process's environment variables whose
 * names say they are secret (the API key Claude Code reads, a GitHub token...), replaced wherever they
 * appear; the secrets the daemon itself holds (its HTTP API token, the tokens in `notify:` URLs), added to
 * the same redactor once they are known; and the shapes of well-known tokens, for a secret that is not in
 * our environment (a key the model read from a file and echoed, a bearer token in a stderr line).
 */
export type Redact = (text: string) => string;

/** A redactor that can be told of more secrets: one per daemon, so every place it writes knows them all. */
export interface Redactor extends Redact {
  /** From now on, `value` is replaced with `[redacted NAME]` too (ignored if shorter than MIN_SECRET_LENGTH). */
  add(name: string, value: string): void;
}

/** A whole `_`-separated part of the name says secret: `ANTHROPIC_API_KEY`, `GH_TOKEN`, `DB_PASSWORD`, not `GIT_AUTHOR_NAME` or `KEYMAP`. */
const SECRET_NAME = /(^|_)(API_?KEY|APIKEY|KEY|KEYS|TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|AUTH|COOKIE|PRIVATE_KEY)(_|$)/i;
/** Named like secrets, but paths to sockets and files that appear in ordinary output. */
const NOT_SECRET = new Set(['SSH_AUTH_SOCK', 'XAUTHORITY', 'GPG_AGENT_INFO']);

/**
 * Values shorter than this are too likely to be ordinary words or flags (`true`, `1`, `default`): replaced
 * everywhere, a short "secret" would mangle every note that happens to contain the same letters, and its
 * `[redacted NAME]` would tell the reader which letters they were. The API token must be 16 or more
 * (operator-config.ts), so it is always long enough to be matched safely.
 */
export const MIN_SECRET_LENGTH = 8;

const TOKEN_SHAPES: RegExp[] = [
  /\bsk-ant-[A-Za-z0-9_-]{8,}/g, // Anthropic API keys and OAuth tokens
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g, // OpenAI-style keys
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{16,}=*/g,
];

export const REDACTED = '[redacted]';

/** Whether a variable's name says its value is secret (`GH_TOKEN` yes, `GIT_AUTHOR_NAME` no). */
export function namedLikeSecret(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase());
}

/** The secret-looking variables of `env`, longest value first (so a value containing another is caught whole). */
export function secretValues(env: NodeJS.ProcessEnv): Array<{ name: string; value: string }> {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .filter(([name, value]) => namedLikeSecret(name) && value.trim().length >= MIN_SECRET_LENGTH && !/^(true|false)$/i.test(value))
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => b.value.length - a.value.length);
}

export function createRedactor(env: NodeJS.ProcessEnv = process.env): Redactor {
  const secrets = secretValues(env);
  const redact = (text: string): string => {
    if (!text) return text;
    let out = text;
    for (const { name, value } of secrets) if (out.includes(value)) out = out.split(value).join(`[redacted ${name}]`);
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, (match, scheme?: string) => (typeof scheme === 'string' && /^(Bearer|Basic)$/.test(scheme) ? `${scheme} ${REDACTED}` : REDACTED));
    return out;
  };
  const add = (name: string, value: string): void => {
    if (value.trim().length < MIN_SECRET_LENGTH || secrets.some((s) => s.value === value)) return;
    secrets.push({ name, value });
    // Longest first, as for the environment's: a secret containing another is replaced whole.
    secrets.sort((a, b) => b.value.length - a.value.length);
  };
  return Object.assign(redact, { add });
}

/** Every string inside a JSON-like value, redacted (keys too: a secret can be a key). */
export function redactDeep<T>(value: T, redact: Redact): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v, redact)])) as T;
  }
  return value;
}

/** For stores and tests that need no redaction. */
export const noRedaction: Redact = (text) => text;
