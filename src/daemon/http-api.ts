import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startApiServer, type ApiEvent } from '../http/server.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import { redactDeep } from '../util/redact.ts';
import { acceptApiMessage } from './api-message.ts';
import type { DaemonContext } from './context.ts';

/** Where the running API says where it listens (for `tail` and scripts); never holds the token. */
export const API_FILE = `${STATE_DIR}/api.json`;

export interface ApiInfo {
  url: string;
  pid: number;
  bootId: string;
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/**
 * The local HTTP API over the daemon: `/health`, `/status`, `POST /messages` (an inbound note, checked
 * like one), `/events` (the daemon's events as server-sent events). Loopback only, token required.
 */
export async function startHttpApi(
  ctx: DaemonContext,
  settings: { port: number; token: string },
  views: { health: () => unknown; status: () => unknown },
): Promise<RunningApi> {
  const bootId = randomUUID().slice(0, 8);
  const server = await startApiServer({
    port: settings.port,
    token: settings.token,
    bootId,
    logger: ctx.logger.child({ component: 'api' }),
    handlers: {
      // What leaves the process is redacted like a note (errors may quote a turn's stderr).
      health: () => redactDeep(views.health(), ctx.store.redact),
      status: () => redactDeep(views.status(), ctx.store.redact),
      postMessage: (body) => acceptApiMessage(ctx, body),
      subscribe: (listener: (event: ApiEvent) => void) => ctx.events.subscribe((event) => listener(redactDeep(event, ctx.store.redact))),
    },
  });
  const info: ApiInfo = { url: server.url, pid: process.pid, bootId };
  await ctx.store.write(API_FILE, JSON.stringify(info, null, 2) + '\n');
  ctx.logger.info('HTTP API listening', { url: server.url });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await rm(path.join(ctx.root, API_FILE), { force: true });
    },
  };
}
