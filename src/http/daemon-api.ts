import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DaemonEvents } from '../state/events.ts';
import type { Logger } from '../util/logger.ts';
import { redactDeep } from '../util/redact.ts';
import { STATE_DIR, type NoteStore } from '../vault/note-store.ts';
import { acceptApiMessage, type PostMessageDeps } from './post-message.ts';
import { startApiServer, type ApiEvent } from './server.ts';

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

export interface DaemonApiDeps extends PostMessageDeps {
  root: string;
  store: NoteStore;
  logger: Logger;
  events: DaemonEvents;
  views: { health: () => unknown; status: () => unknown };
}

/**
 * The local HTTP API over the daemon: `/health`, `/status`, `POST /messages` (an inbound note, checked
 * like one), `/events` (the daemon's events as server-sent events). Loopback only, token required.
 */
export async function startHttpApi(deps: DaemonApiDeps, settings: { port: number; token: string }): Promise<RunningApi> {
  const { store, logger, events, views } = deps;
  const bootId = randomUUID().slice(0, 8);
  const server = await startApiServer({
    port: settings.port,
    token: settings.token,
    bootId,
    logger: logger.child({ component: 'api' }),
    handlers: {
      // What leaves the process is redacted like a note (errors may quote a turn's stderr).
      health: () => redactDeep(views.health(), store.redact),
      status: () => redactDeep(views.status(), store.redact),
      postMessage: async (body) => redactDeep(await acceptApiMessage(deps, body), store.redact),
      subscribe: (listener: (event: ApiEvent) => void) => events.subscribe((event) => listener(redactDeep(event, store.redact))),
    },
  });
  const info: ApiInfo = { url: server.url, pid: process.pid, bootId };
  await store.write(API_FILE, JSON.stringify(info, null, 2) + '\n');
  logger.info('HTTP API listening', { url: server.url });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await rm(path.join(deps.root, API_FILE), { force: true });
    },
  };
}
