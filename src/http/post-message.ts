import type { AgentRegistry } from '../agents/registry.ts';
import { readInbound } from '../messages/inbound.ts';
import { inboundBaseName, newInboundNote } from '../messages/new-message.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { slugify } from '../vault/paths.ts';
import type { PostResult } from './server.ts';

export interface PostMessageDeps {
  store: NoteStore;
  registry: AgentRegistry;
  clock: Clock;
  logger: Logger;
}

const FIELDS = ['to', 'text', 'from', 'status'];
const MAX_TEXT_BYTES = 100_000;

/**
 * `POST /messages`: `{to, text, from?, status?}` becomes an inbound note in `Inbox/`, exactly as if a
 * person had written it, after the checks a note gets (plus an unknown or broken agent refused at once,
 * where a note would only learn it from its `error:`). The note is then the message: the watcher runs it.
 */
export async function acceptApiMessage(deps: PostMessageDeps, body: unknown): Promise<PostResult> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return invalid('expected a JSON object such as {"to": "researcher", "text": "..."}');
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) return invalid(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (expected ${FIELDS.join(', ')})`);
  if (typeof input.to !== 'string' || !input.to.trim()) return invalid('"to" must name an agent');
  if (typeof input.text !== 'string' || !input.text.trim()) return invalid('"text" must be the message, not empty');
  if (Buffer.byteLength(input.text) > MAX_TEXT_BYTES) return invalid(`"text" is over ${MAX_TEXT_BYTES / 1000} KB; put long material in a note and link it`);
  if (input.from !== undefined && (typeof input.from !== 'string' || !input.from.trim())) return invalid('"from" must be a name');
  if (input.status !== undefined && input.status !== 'ready' && input.status !== 'draft') return invalid('"status" must be "ready" or "draft"');

  const to = slugify(input.to);
  const lookup = deps.registry.lookup(to);
  if (lookup.kind === 'unknown') {
    return { ok: false, status: 404, error: `no agent named "${to}" (agents: ${deps.registry.names().join(', ') || 'none'})` };
  }
  if (lookup.kind === 'invalid') {
    return { ok: false, status: 409, error: `the definition of "${to}" (${lookup.path}) has errors: ${lookup.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}` };
  }
  const message = { to, from: input.from?.toString().trim() ?? 'api', body: input.text, at: deps.clock.now(), status: input.status as 'ready' | 'draft' | undefined };
  const text = newInboundNote(message);
  // The same reading a note gets: what the API accepts, a note would run.
  const { dir, base } = inboundBaseName({ ...message, body: deps.store.redact(message.body) });
  const parsed = parseFrontmatter(text);
  const reading = readInbound(`${dir}/${base}.md`, parsed.data, parsed.body);
  if (!reading.ok) return invalid(`${reading.field}: ${reading.error}`);
  // `wake`: written by us, yet the watcher must hand it to intake like a person's note.
  const path = await deps.store.create(dir, base, text, { wake: true });
  deps.logger.info('message received over the HTTP API', { note: path, agent: to });
  return { ok: true, path };
}

function invalid(error: string): PostResult {
  return { ok: false, status: 422, error };
}
