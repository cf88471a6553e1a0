import path from 'node:path';
import { deliverWebhook, type DeliverOptions, type WebhookResult } from './webhook.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import { redactDeep } from '../util/redact.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import { notifyAllowed, urlForDisplay, type OperatorPolicy } from '../agents/policy.ts';

export interface ReplyNotifierOptions {
  root: string;
  store: NoteStore;
  registry: AgentRegistry;
  policy: OperatorPolicy;
  clock: Clock;
  logger: Logger;
  deliver?: typeof deliverWebhook;
  retry: Pick<DeliverOptions, 'maxAttempts' | 'baseDelayMs' | 'sleep'>;
}

/**
 * `notify:` webhooks. A reply note of an agent with `notify:` is written with `notify_status: pending`;
 * this posts it (JSON) and stamps the result on it: `delivered` or `failed`, with `notified_at`,
 * `notify_attempts` and, on failure, `notify_error`. A delivery cut off by shutdown leaves `pending`, and
 * a `pending` reply found at start (or set back to `pending` by the user) is posted again.
 */
export class ReplyNotifier {
  readonly #options: ReplyNotifierOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();

  constructor(options: ReplyNotifierOptions) {
    this.#options = options;
  }

  /** Post this reply note if it is pending; at most one delivery per note at a time. Never throws. */
  notify(replyPath: string): void {
    if (this.#inFlight.has(replyPath) || this.#abort.signal.aborted) return;
    const delivery = this.#deliver(replyPath).catch((error) => {
      this.#options.logger.error('webhook delivery failed', { note: replyPath, error: errorMessage(error) });
    });
    this.#inFlight.set(replyPath, delivery);
    void delivery.finally(() => this.#inFlight.delete(replyPath));
  }

  /**
   * Post an event that is not a reply (an approval waiting for a person) to the agent's `notify:` address,
   * if the operator allows it. Nothing is stamped on a note: the event's note is live on its own. Never throws.
   */
  post(agentName: string, event: Record<string, unknown>): void {
    const { registry, policy, store, logger } = this.#options;
    const agent = registry.lookup(agentName);
    const url = agent.kind === 'ok' ? agent.definition.notify : undefined;
    if (!url || !notifyAllowed(url, policy) || this.#abort.signal.aborted) return;
    const key = `${agentName}:${String(event.note)}`;
    const payload = redactDeep({ event: event.type, vault: path.basename(this.#options.root), ...event, type: undefined }, store.redact);
    const deliver = this.#options.deliver ?? deliverWebhook;
    const delivery = deliver(url, payload, { ...this.#options.retry, signal: this.#abort.signal }).then(
      (result) => {
        if (!result.ok && !this.#abort.signal.aborted) logger.warn('event not delivered to webhook', { note: event.note, event: event.type, error: result.error });
      },
      (error: unknown) => logger.error('webhook delivery failed', { note: event.note, error: errorMessage(error) }),
    );
    this.#inFlight.set(key, delivery);
    void delivery.finally(() => this.#inFlight.delete(key));
  }

  get busy(): boolean {
    return this.#inFlight.size > 0;
  }

  /** Resolves when every delivery under way has ended. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled(this.#inFlight.values());
  }

  /** Stop retrying: what is not delivered stays `pending` for the next start. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.idle();
  }

  async #deliver(replyPath: string): Promise<void> {
    const { store, registry, policy, logger, clock } = this.#options;
    const raw = await store.readIfExists(replyPath);
    if (raw === null) return;
    const { data, body } = parseFrontmatter(raw);
    if (data.notify_status !== 'pending') return;
    const agent = typeof data.from === 'string' ? registry.lookup(data.from) : { kind: 'unknown' as const };
    const url = agent.kind === 'ok' ? agent.definition.notify : undefined;
    if (!url || !notifyAllowed(url, policy)) {
      await store.update(replyPath, {
        notify_status: 'failed',
        notify_error: url ? `${urlForDisplay(url)} is not in the operator's allowed_notify_urls` : `the agent "${String(data.from)}" has no notify: address (any more)`,
      });
      return;
    }
    // The reply's text was redacted when written; the rest (names, links) is redacted here, as it leaves.
    const payload = redactDeep({
      event: 'reply',
      vault: path.basename(this.#options.root),
      agent: data.from,
      to: data.to,
      status: data.status,
      note: replyPath,
      in_reply_to: pathOf(data.in_reply_to),
      thread: pathOf(data.thread),
      created: data.created,
      text: body.trim(),
    }, store.redact);
    logger.info('posting reply to webhook', { note: replyPath, url: urlForDisplay(url) });
    const deliver = this.#options.deliver ?? deliverWebhook;
    const result: WebhookResult = await deliver(url, payload, { ...this.#options.retry, signal: this.#abort.signal });
    if (!result.ok && this.#abort.signal.aborted) return; // shutting down: stays pending
    await store.update(replyPath, {
      notify_status: result.ok ? 'delivered' : 'failed',
      notified_at: isoLocal(clock.now()),
      notify_attempts: result.attempts,
      notify_error: result.ok ? undefined : result.error,
    });
    if (result.ok) logger.info('reply delivered to webhook', { note: replyPath, attempts: result.attempts });
    else logger.warn('reply not delivered to webhook', { note: replyPath, attempts: result.attempts, error: result.error });
  }
}

function pathOf(value: unknown): string | undefined {
  const target = linkTarget(value);
  return target ? targetToPath(target) : undefined;
}
