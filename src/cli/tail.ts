import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ConfigError, defaultConfigPath, loadConfig } from '../config/operator-config.ts';
import type { DaemonEvent } from '../state/events.ts';
import { API_FILE, type ApiInfo } from '../http/daemon-api.ts';
import type { TurnLogEntry } from '../state/turns-log.ts';
import { TurnsFollower } from '../state/turns-follower.ts';
import { systemClock } from '../util/clock.ts';
import { err, out } from './output.ts';
import { elapsed } from './progress.ts';
import { resolveVault } from './vault-arg.ts';

export const TAIL_HELP = `scriptorium tail [vault] [--json] [--config FILE]

Follow the daemon's turns as they happen: each message as it starts, each tool call on a line, the
reply and its cost. Keeps following across daemon restarts (Ctrl-C to stop).

It reads the running daemon's events from the local HTTP API (api_port and api_token in the operator
config). With the API off, it follows finished turns only (from .scriptorium/turns/, one file a month).

Options:
  --json         one JSON event per line
  --config FILE  operator config, for the API token (default ${defaultConfigPath()})`;

const RECONNECT_MS = 1_000;

export async function tailCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, config: { type: 'string' } },
  });
  const vault = resolveVault(positionals[0]);
  let token: string | undefined;
  try {
    token = loadConfig(values.config ?? defaultConfigPath()).api?.token;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(`scriptorium: ${error.message}`);
    return 2;
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const print = values.json ? (event: DaemonEvent) => out(JSON.stringify(event)) : (event: DaemonEvent) => printEvent(event);
  if (token === undefined) {
    err('The HTTP API is off (api_port and api_token in the operator config), so only finished turns are shown.');
    await followTurns(vault, stop.signal, (entry) => print({ type: 'turn-finished', data: { ...entry, text: '' } }));
    return 0;
  }
  await followEvents(vault, token, stop.signal, print);
  return 0;
}

/** The API's event stream, reconnecting (to a restarted daemon, on another port if need be) until stopped. */
async function followEvents(vault: string, token: string, signal: AbortSignal, print: (event: DaemonEvent) => void): Promise<void> {
  let lastId: string | undefined;
  let state: 'connecting' | 'connected' | 'waiting' = 'connecting';
  while (!signal.aborted) {
    const info = await readApiInfo(vault);
    if (info) {
      try {
        const response = await request(`${info.url}/events`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
          signal,
        });
        if (response.statusCode === 401) {
          await response.body.dump();
          err('The daemon refused the API token: api_token in this config is not the one the daemon runs with.');
          return;
        }
        if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
        err(state === 'connecting' ? `(following the daemon, pid ${info.pid}; Ctrl-C to stop)` : `(connected to the daemon, pid ${info.pid})`);
        state = 'connected';
        for await (const message of sseMessages(response.body)) {
          if (message.id) lastId = message.id;
          try {
            print({ type: message.event, data: JSON.parse(message.data) } as DaemonEvent);
          } catch {
            // Not one of ours: skipped.
          }
        }
      } catch {
        if (signal.aborted) return;
      }
    }
    if (state !== 'waiting') err('(the daemon is not running; waiting for it to start…)');
    state = 'waiting';
    await sleep(RECONNECT_MS, signal);
  }
}

/** The running API's address; anything but a loopback URL is ignored (the file is in the vault: the token must not follow it elsewhere). */
async function readApiInfo(vault: string): Promise<ApiInfo | null> {
  try {
    const info = JSON.parse(await readFile(path.join(vault, API_FILE), 'utf8')) as ApiInfo;
    return typeof info.url === 'string' && /^http:\/\/127\.0\.0\.1:\d{1,5}$/.test(info.url) ? info : null;
  } catch {
    return null;
  }
}

/** Server-sent events from a byte stream: `{id, event, data}` per blank-line-ended block; comments skipped. */
export async function* sseMessages(body: AsyncIterable<Buffer | string>): AsyncGenerator<{ id: string | undefined; event: string; data: string }> {
  let buffer = '';
  let id: string | undefined;
  let event = 'message';
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) yield { id, event, data: data.join('\n') };
        event = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}

/** Without the API: turns as they are appended to the month's file (across the month's change). */
async function followTurns(vault: string, signal: AbortSignal, print: (entry: TurnLogEntry) => void): Promise<void> {
  const follower = new TurnsFollower(vault, systemClock);
  await follower.start();
  while (!signal.aborted) {
    for (const entry of await follower.poll()) print(entry);
    await sleep(500, signal);
  }
}

function time(at: string): string {
  return /T(\d{2}:\d{2}:\d{2})/.exec(at)?.[1] ?? at;
}

function printEvent(event: DaemonEvent): void {
  switch (event.type) {
    case 'turn-started':
      out(`${time(event.data.at)} ${event.data.agent} ▸ ${event.data.message}`);
      break;
    case 'tool':
      out(`${time(event.data.at)} ${event.data.agent}   · ${event.data.tool}`);
      break;
    case 'api-retry':
      out(`${time(event.data.at)} ${event.data.agent}   ! API retry ${event.data.attempt}/${event.data.maxRetries}: ${event.data.error}`);
      break;
    case 'turn-finished': {
      const d = event.data;
      const mark = d.ok ? '✓' : '✗';
      out(`${time(d.at)} ${d.agent} ${mark} ${d.ok ? d.reply : d.message}  $${d.costUsd.toFixed(4)}  ${elapsed(d.durationMs)}`);
      const text = (d.ok ? d.text : (d.error ?? d.text)).replace(/\s+/g, ' ').trim();
      if (text) out(`         ${text.length > 160 ? text.slice(0, 160) + '…' : text}`);
      break;
    }
    case 'turn-unwritten':
      out(`${time(event.data.at)} ${event.data.agent} ! ${event.data.message}: notes not written yet (${event.data.error})`);
      break;
    case 'halt':
      out(`${time(event.data.at)} ${event.data.halted ? `HALTED: ${event.data.reason ?? ''}` : 'resumed'}`);
      break;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
