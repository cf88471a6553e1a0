// The notes index (.scriptorium/notes-index.json) through real daemons started one after another on one
// vault: notes settled at a start are not parsed at the next, unless their file changed in any way, and
// what start knew of them is the same either way; notes that settle while a daemon runs are added to it
// as they do. The daemon's clock runs an hour ahead, so notes this test writes a moment before a start
// count as still (a note changed within seconds of the read is never vouched for); a test moves it on
// to let notes that settled while the daemon ran be looked at again (as its timer would, a while later).
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAFE_POLICY } from '../../src/agents/policy.ts';
import type { DaemonConfig } from '../../src/config/operator-config.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { parseSettledFile, parseSettledNotes, SETTLED_NOTES_FILE } from '../../src/intake/settled-notes.ts';
import type { TurnLogEntry } from '../../src/state/turns-log.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { TEST_CONFIG, waitForStatus, type MemoryLogger } from '../helpers/daemon-harness.ts';
import { useFakeClaude, type FakeClaude } from '../helpers/fake-claude-env.ts';
import { createTempVault, type TempVault } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DONE = `---\ntags: [agent/message/inbound]\nto: echo\nfrom: user\nstatus: done\nreply: "[[Outbox/old reply]]"\n---\nHello there!\n`;
// The same size as DONE: `ready` is one letter longer than `done`, the text one shorter.
const READY_AGAIN = DONE.replace('status: done', 'status: ready').replace('Hello there!', 'Hello there');
const REPLY = `---\ntags: [agent/message/outbound]\nfrom: echo\nto: user\nstatus: ok\nin_reply_to: "[[Inbox/old]]"\nnotify_status: delivered\n---\nHi.\n`;
const FAILED = `---\ntags: [agent/message/inbound]\nto: echo\nfrom: user\nstatus: error\nerror: the agent broke\n---\nDo it.\n`;
const THREAD = `---\ntags: [agent/thread]\nagent: echo\nstatus: ok\n---\n## Turn 1\n`;
const SETTLED = ['Inbox/failed.md', 'Inbox/old.md', 'Outbox/old reply.md', 'Threads/echo.md'];
const WHILE_AGO = new Date('2026-01-02T03:04:05Z');

let vault: TempVault;
let fake: FakeClaude;
let running: Daemon | undefined;
const servers: Server[] = [];
/** How far ahead of the machine's clock the daemons' clock is. */
let ahead: number;

beforeEach(async () => {
  ahead = 3_600_000;
  fake = await useFakeClaude();
  vault = await createTempVault({ 'Inbox/old.md': DONE, 'Outbox/old reply.md': REPLY, 'Inbox/failed.md': FAILED, 'Threads/echo.md': THREAD });
  // Written a while ago, to the second: an mtime a sync tool can put back exactly.
  for (const note of SETTLED) await utimes(path.join(vault.root, note), WHILE_AGO, WHILE_AGO);
});

afterEach(async () => {
  await running?.close({ graceMs: 1_000 });
  running = undefined;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await fake.restore();
  await vault.cleanup();
});

interface Started {
  daemon: Daemon;
  logger: MemoryLogger;
  finished: TurnLogEntry[];
  /** The `start-up notes handled` line: notes taken in, and of them those known from the index. */
  handled: { notes: number; known: number };
}

/** One daemon on the vault, started and watching; the previous one is stopped first. */
async function start(config: Partial<DaemonConfig> = {}): Promise<Started> {
  await running?.close({ graceMs: 1_000 });
  const logger = createMemoryLogger();
  const finished: TurnLogEntry[] = [];
  const daemon = new Daemon({
    vault: vault.root,
    config: { ...TEST_CONFIG, ...config },
    logger,
    clock: { now: () => new Date(Date.now() + ahead) },
    onTurnFinished: (entry) => finished.push(entry),
  });
  running = daemon;
  await daemon.start();
  await daemon.watching();
  const line = logger.lines.find((l) => l.msg === 'start-up notes handled')!;
  return { daemon, logger, finished, handled: { notes: Number(line.notes), known: Number(line.known) } };
}

async function indexed(): Promise<string[]> {
  return [...parseSettledNotes(await vault.read(SETTLED_NOTES_FILE)).keys()].sort();
}

/** `text` in place of the note, its mtime put back as a sync tool may do. `how`: written over, or renamed into place. */
async function replaceKeepingMtime(vaultPath: string, text: string, how: 'in place' | 'renamed'): Promise<void> {
  const file = path.join(vault.root, vaultPath);
  const before = await stat(file);
  expect(before.mtime).toEqual(WHILE_AGO);
  if (how === 'in place') {
    await writeFile(file, text);
  } else {
    await writeFile(`${file}.tmp`, text);
    await rename(`${file}.tmp`, file);
  }
  await utimes(file, WHILE_AGO, WHILE_AGO);
  const after = await stat(file);
  expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
}

describe('the notes index', () => {
  it('notes settled at one start are not parsed at the next, and the daemon knows of them what it knew', async () => {
    await vault.writeAgent('echo');
    const first = await start();
    expect(first.handled.known).toBe(0);
    expect(await indexed()).toEqual(SETTLED);
    const errorsFirst = first.daemon.dashboardSnapshot().errors;
    expect(errorsFirst).toEqual([{ path: 'Inbox/failed.md', reason: 'the agent broke' }]);

    const second = await start();
    // The definition and the dashboard the first wrote are parsed (definitions are never taken from the
    // index; the dashboard was not there at the first start); the four settled notes are not.
    expect(second.handled).toEqual({ notes: 6, known: 4 });
    expect(second.daemon.dashboardSnapshot().errors).toEqual(errorsFirst);
    expect(second.finished).toEqual([]);
    expect(await indexed()).toEqual(['Dashboard.md', ...SETTLED]);
    // Nothing changed since: the third start leaves the index as it was.
    const third = await start();
    expect(third.handled.known).toBe(5);
    expect(third.logger.lines.filter((l) => l.msg === 'notes index written')).toEqual([]);
  });

  it.each(['in place', 'renamed'] as const)(
    'a done message set back to ready while the daemon was stopped runs at the next start, though its size and mtime are the same (written %s)',
    async (how) => {
      await vault.writeAgent('echo');
      await start();
      expect(await indexed()).toContain('Inbox/old.md');
      await running!.close();
      await replaceKeepingMtime('Inbox/old.md', READY_AGAIN, how);

      const next = await start();
      expect(next.handled.known).toBe(3);
      await waitFor(() => next.finished.some((entry) => entry.message === 'Inbox/old.md'), { what: 'the turn of Inbox/old.md' });
      expect((await waitForStatus(vault, 'Inbox/old.md', 'done')).status).toBe('done');
    },
  );

  it('a reply set back to notify_status: pending while the daemon was stopped is delivered at the next start', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push(body);
        res.writeHead(200).end('ok');
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const config = { notifyBaseDelayMs: 1, policy: { ...SAFE_POLICY, allowedNotifyUrls: [url] } };
    await vault.writeAgent('echo', { notify: url });
    await start(config);
    expect(await indexed()).toContain('Outbox/old reply.md');
    expect(received).toEqual([]);
    await running!.close();
    await replaceKeepingMtime('Outbox/old reply.md', REPLY.replace('notify_status: delivered', 'notify_status: pending  '), 'in place');

    await start(config);
    await waitFor(async () => (await vault.fields('Outbox/old reply.md')).notify_status === 'delivered', { what: 'the reply delivered' });
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!)).toMatchObject({ note: 'Outbox/old reply.md', text: 'Hi.' });
  });

  it('a corrupt index is said once, ignored, and written afresh', async () => {
    await vault.writeAgent('echo');
    await start();
    await running!.close();
    const whole = await vault.read(SETTLED_NOTES_FILE);
    // Cut short, as a full disk or a crash of another writer might leave it.
    await vault.write(SETTLED_NOTES_FILE, whole.slice(0, whole.length - 30));

    const next = await start();
    expect(next.handled.known).toBe(0);
    expect(next.logger.lines.filter((l) => l.msg === 'notes index unreadable; every note is read')).toHaveLength(1);
    expect(next.daemon.dashboardSnapshot().errors).toEqual([{ path: 'Inbox/failed.md', reason: 'the agent broke' }]);
    expect(await indexed()).toEqual(['Dashboard.md', ...SETTLED]);
  });

  it('a thread note over 64 KB (read whole by intake, not by the start-up read) is known at the next start too', async () => {
    await vault.write('Threads/echo.md', THREAD + 'A long conversation.\n'.repeat(4_000));
    await utimes(path.join(vault.root, 'Threads/echo.md'), WHILE_AGO, WHILE_AGO);
    await vault.writeAgent('echo');
    await start();
    expect(await indexed()).toEqual(SETTLED);
    const next = await start();
    expect(next.handled.known).toBe(4);
  });

  it('a note deleted while the daemon was stopped leaves the index', async () => {
    await vault.writeAgent('echo');
    await start();
    await running!.close();
    await rm(path.join(vault.root, 'Inbox/failed.md'));

    const next = await start();
    expect(next.handled.known).toBe(3);
    expect(next.daemon.dashboardSnapshot().errors).toEqual([]);
    expect(await indexed()).toEqual(['Dashboard.md', ...SETTLED.filter((p) => p !== 'Inbox/failed.md')]);
  });
});

describe('notes that settle while the daemon runs', () => {
  /** A message sent to the running daemon, run to the end, and its notes seen settled by intake. */
  async function runOne(first: Started, name: string): Promise<{ message: string; reply: string }> {
    const message = await vault.writeMessage(name, 'echo', 'Hello while running!');
    const reply = String((await waitForStatus(vault, message, 'done')).reply).replace(/^\[\[|\]\]$/g, '') + '.md';
    for (const note of [message, reply, 'Threads/echo.md']) {
      await waitFor(() => first.logger.lines.some((l) => l.msg === 'note settled; for the notes index once still' && l.note === note), { what: `${note} seen settled` });
    }
    return { message, reply };
  }

  it('a message run while the daemon ran, its reply and its thread are known from the index at the next start', async () => {
    await vault.writeAgent('echo');
    const first = await start();
    const { message, reply } = await runOne(first, 'new');
    // A while later (the notes have been still for more than a clock tick), the daemon stops.
    ahead += 10_000;
    await running!.close();
    const index = await vault.read(SETTLED_NOTES_FILE);
    // Appended after the lines the start wrote: the file is not rewritten while the daemon runs.
    expect(parseSettledFile(index).appended).toBe(true);
    expect(await indexed()).toEqual(expect.arrayContaining([message, reply, 'Threads/echo.md']));

    const next = await start();
    // Only the definition and the dashboard are parsed.
    expect(next.handled).toEqual({ notes: next.handled.known + 2, known: 6 });
    expect(next.finished).toEqual([]);
    // Compacted at that start: one line per note.
    expect(parseSettledFile(await vault.read(SETTLED_NOTES_FILE)).appended).toBe(false);
  });

  it.each(['in place', 'renamed'] as const)(
    'a message indexed while the daemon ran and set back to ready while it was stopped runs at the next start, though its size and mtime are the same (written %s)',
    async (how) => {
      await vault.writeAgent('echo');
      const first = await start();
      const { message } = await runOne(first, 'again');
      ahead += 10_000;
      await running!.close();
      expect(await indexed()).toContain(message);
      const file = path.join(vault.root, message);
      const before = await stat(file, { bigint: true });
      const done = await vault.read(message);
      const ready = done.replace('status: done', 'status: ready').replace('Hello while running!', 'Hello while running');
      if (how === 'in place') {
        await writeFile(file, ready);
      } else {
        await writeFile(`${file}.tmp`, ready);
        await rename(`${file}.tmp`, file);
      }
      // Put back to the nanosecond (Node's utimes goes through a double of seconds and loses some).
      const ns = before.mtimeNs % 1_000_000_000n;
      await promisify(execFile)('touch', ['-m', '-d', `@${before.mtimeNs / 1_000_000_000n}.${String(ns).padStart(9, '0')}`, file]);
      const after = await stat(file, { bigint: true });
      expect([after.size, after.mtimeNs]).toEqual([before.size, before.mtimeNs]);

      const next = await start();
      await waitFor(() => next.finished.some((entry) => entry.message === message), { what: `the turn of ${message}` });
      expect((await waitForStatus(vault, message, 'done')).status).toBe('done');
    },
  );
});
