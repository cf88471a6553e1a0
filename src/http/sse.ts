/**
 * The `/events` stream: turn progress as server-sent events. Every event gets the id `<bootId>-<n>` and a
 * place in a ring buffer, so a client that reconnects (`tail` after its laptop slept, a browser EventSource)
 * sends `Last-Event-ID` and is first given what it missed. The boot id tells a reconnect to this daemon
 * from one to a restarted daemon, whose counter began again at 1.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../util/logger.ts';

export interface ApiEvent {
  type: string;
  data: unknown;
}

export interface EventStreamOptions {
  bootId: string;
  /** How many events are kept for replay. */
  replay: number;
  /** A comment line this often keeps proxies and idle-socket timers from closing a quiet stream. */
  heartbeatMs: number;
  logger: Logger;
}

/** One event, serialized once when published: every client and every replay writes the same text. */
interface Frame {
  seq: number;
  text: string;
}

interface Client {
  res: ServerResponse;
  heartbeat: NodeJS.Timeout;
}

/**
 * A client that stops reading (a suspended `tail`) would make the server hold every later event in memory;
 * past this many unsent bytes it is dropped instead, and reconnects with `Last-Event-ID` like anyone else.
 */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export class EventStream {
  readonly #options: EventStreamOptions;
  /** Oldest first; at most `replay` long. */
  readonly #frames: Frame[] = [];
  readonly #clients = new Set<Client>();
  #seq = 0;
  #closed = false;

  constructor(options: EventStreamOptions) {
    if (!Number.isSafeInteger(options.replay) || options.replay < 0) {
      throw new RangeError(`replay must be a whole number of events (0 or more), got ${options.replay}`);
    }
    if (!(options.heartbeatMs > 0)) throw new RangeError(`heartbeatMs must be more than 0, got ${options.heartbeatMs}`);
    this.#options = options;
  }

  /** Called from the daemon's own code paths, so it never throws back into them. */
  publish(event: ApiEvent): void {
    if (this.#closed) return;
    let data: string | undefined;
    try {
      data = JSON.stringify(event.data);
    } catch (error) {
      this.#options.logger.warn('api event dropped', { type: event.type, error });
      return;
    }
    const seq = ++this.#seq;
    // A line break in the type would start a new field and let the event forge its own id or data.
    const type = String(event.type).replace(/[\r\n]+/g, ' ');
    const frame = { seq, text: `id: ${this.#options.bootId}-${seq}\nevent: ${type}\ndata: ${data ?? 'null'}\n\n` };
    this.#frames.push(frame);
    if (this.#frames.length > this.#options.replay) this.#frames.shift();
    for (const client of this.#clients) this.#write(client, frame.text);
  }

  /** Takes over `res` for as long as the client stays: the missed events first, then live ones. */
  attach(res: ServerResponse, lastEventId: string | undefined): void {
    if (this.#closed) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: 'the API is shutting down' }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.flushHeaders();
    const heartbeat = setInterval(() => this.#write(client, ': ping\n\n'), this.#options.heartbeatMs);
    heartbeat.unref();
    const client: Client = { res, heartbeat };
    this.#clients.add(client);
    res.on('error', (error) => this.#options.logger.debug('api events client error', { error }));
    res.on('close', () => {
      clearInterval(heartbeat);
      if (this.#clients.delete(client)) this.#options.logger.debug('api events client left', { clients: this.#clients.size });
    });
    const missed = this.#missedSince(lastEventId);
    if (missed.length > 0) this.#write(client, missed.map((frame) => frame.text).join(''));
    this.#options.logger.debug('api events client joined', { clients: this.#clients.size, replayed: missed.length });
  }

  /** Ends every open stream; later `publish` calls are ignored. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const client of this.#clients) {
      clearInterval(client.heartbeat);
      if (!client.res.writableEnded) client.res.end();
    }
    this.#clients.clear();
  }

  /**
   * No header: a fresh client, live events only. This boot's id: what came after it (all of the buffer if
   * the gap is older than the buffer; nothing more can be done). Another boot's id, or one that does not
   * parse: the whole buffer, because every event this boot has kept is news to that client.
   */
  #missedSince(lastEventId: string | undefined): Frame[] {
    if (lastEventId === undefined) return [];
    // The counter is after the last dash: a boot id may hold dashes of its own.
    const cut = lastEventId.lastIndexOf('-');
    const bootId = cut > 0 ? lastEventId.slice(0, cut) : undefined;
    const counter = lastEventId.slice(cut + 1);
    if (bootId !== this.#options.bootId || !/^\d+$/.test(counter)) return [...this.#frames];
    const seq = Number(counter);
    return this.#frames.filter((frame) => frame.seq > seq);
  }

  #write(client: Client, text: string): void {
    const { res } = client;
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > MAX_PENDING_BYTES) {
      this.#options.logger.warn('api events client dropped', { reason: 'it stopped reading', pendingBytes: res.writableLength });
      res.destroy();
      return;
    }
    res.write(text);
  }
}
