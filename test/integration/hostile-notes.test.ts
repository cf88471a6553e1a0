/**
 * Issue 5, "Bad input": the hostile corpus (scripts/hostile-corpus.ts) thrown at one real daemon, with
 * good messages written at the same time, then a few hostile things done while it runs (a message
 * deleted or renamed while queued, a definition claiming another's name, hand-edited thread and
 * outbound notes, symbolic links out of the vault). One daemon run for the whole corpus; each case is
 * then checked as its own test. Known bugs in src/ are `it.fails`, each pointing to its bug (KNOWN_BUGS).
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, GOOD_AGENTS, type HostileCase } from '../../scripts/hostile-corpus.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { readStatus } from '../../src/messages/status.ts';
import { parseFrontmatter, type FrontmatterData } from '../../src/vault/frontmatter.ts';
import { createHarness, TEST_CONFIG, waitForStatus } from '../helpers/daemon-harness.ts';
import { argValue, useFakeClaude, type FakeClaude, type Invocation } from '../helpers/fake-claude-env.ts';
import { PATIENCE_MS, waitFor } from '../helpers/wait-for.ts';

/**
 * Bugs in src/ this suite shows (reported with the suite). Each case listed is `it.fails` until the bug is
 * fixed; the global checks below leave these notes out, so they still catch anything new.
 */
const KNOWN_BUGS: Array<{ bug: string; cases: string[] }> = [];
const bugOf = (p: string) => KNOWN_BUGS.find((b) => b.cases.includes(p))?.bug;
const B9 = 'B9 agent names may be Windows device names: the agent "con" gets Threads/con.md (isSlug in src/vault/paths.ts, singleThreadPath)';
const B11 = 'B11 a note that is a symbolic link to a file outside the vault is read and run, and the link is replaced by a copy (docs: "symbolic links are not followed")';
const B12 = 'B12 a definition description over ~128 KiB breaks every other agent: it goes into their --mcp-config argument (spawn E2BIG)';

const corpus = generateCorpus(1);
const GOOD = Array.from({ length: 10 }, (_, i) => `Inbox/good/good-${String(i).padStart(2, '0')}.md`);
const goodNote = (to: string, text: string) => `---\ntags: [agent/message/inbound]\nto: ${to}\n---\n${text}\n`;

let container: string;
let root: string;
let fake: FakeClaude;
let daemon: Daemon;
const logger = createMemoryLogger();
/** Every file this test wrote into the vault, with its bytes (anything else there was written by Scriptorium). */
const written = new Map<string, Buffer>();
/** The corpus notes as they were once the daemon had settled. */
const after = new Map<string, Buffer | null>();
let outsideBefore: Map<string, string>;
let escapesBefore: Map<string, boolean>;

const abs = (vaultPath: string) => path.join(root, ...vaultPath.split('/'));
async function put(vaultPath: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(abs(vaultPath)), { recursive: true });
  await writeFile(abs(vaultPath), content);
  written.set(vaultPath, Buffer.from(content));
}
const text = async (vaultPath: string) => readFile(abs(vaultPath), 'utf8');
const fields = async (vaultPath: string): Promise<FrontmatterData> => parseFrontmatter(await text(vaultPath)).data;
/** The turns run for a message (its path is on the "message note:" line of the prompt; a file name may hold a newline). */
const turnsFor = (vaultPath: string, invocations = fake.invocations()) =>
  // The preamble replaces control characters in a path with spaces (a file name cannot add lines to it).
  invocations.filter((inv) => inv.prompt.includes(`\nmessage note: ${vaultPath.replace(/[\u0000-\u001f\u007f]/g, ' ')}\nthread note: `));
/** The turns of the corpus run, read once (the log holds megabytes of prompts). */
let corpusTurns: Invocation[] = [];
const logSize = () => (existsSync(fake.logFile) ? statSync(fake.logFile).size : 0);
const BARE_LF = /(^|[^\r])\n/;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Every file and folder under `dir`, as paths relative to it, with a hash of each file's bytes. One that
 * is gone by the time it is read (the running daemon's temp file, renamed into place) is left out.
 */
async function snapshot(dir: string, skip?: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const gone = (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return undefined;
  };
  const walk = async (rel: string) => {
    for (const entry of (await readdir(path.join(dir, rel), { withFileTypes: true }).catch(gone)) ?? []) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, r);
      if (full === skip) continue;
      if (entry.isDirectory()) {
        out.set(r + '/', 'dir');
        await walk(r);
      } else if (entry.isSymbolicLink()) out.set(r, 'link');
      else {
        const bytes = await readFile(full).catch(gone);
        if (bytes) out.set(r, sha(bytes));
      }
    }
  };
  await walk('');
  return out;
}

/** Nothing pending in the daemon, and no new log line or turn for a while (watcher events arrive late). */
async function quiet(ms = 400): Promise<void> {
  for (;;) {
    await daemon.idle();
    const lines = logger.lines.length;
    const turns = logSize();
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (logger.lines.length === lines && logSize() === turns) return;
  }
}

async function waitStatus(vaultPath: string, status: string, timeoutMs = PATIENCE_MS): Promise<FrontmatterData> {
  return waitFor(async () => {
    const data = await fields(vaultPath);
    return data.status === status ? data : null;
  }, { timeoutMs, what: `${vaultPath} ${status}` });
}

/** Whether what a case expects shows yet, on its note or in the log (a case that leaves no trace shows at once). */
type Expected = Pick<HostileCase, 'path' | 'content' | 'expect'>;
async function shows(c: Expected): Promise<boolean> {
  const logged = (msg: string) => logger.lines.some((l) => l.note === c.path && l.msg === msg);
  try {
    switch (c.expect) {
      case 'ignored':
        return true;
      case 'log-only':
        return logged('note has unreadable frontmatter');
      case 'error-on-note':
        return typeof (await fields(c.path)).error === 'string';
      case 'runs': {
        if (c.path.startsWith('Agents/')) return logged('agent definition loaded');
        const data = await fields(c.path);
        const asked = parseFrontmatter(c.content.toString('utf8')).data.reply_to;
        return data.status === 'done' && (asked === undefined || asked === null || (data.callback_note ?? data.callback_skipped) !== undefined);
      }
    }
  } catch {
    return false;
  }
}

/**
 * Until every case shows what it expects, then quiet(). On a busy machine watcher events trail far
 * behind, and quiet() alone can end before the last of them: a definition not yet read when the
 * messages come, a message not yet run when the turns are counted. How long that takes depends on the
 * machine, so the wait goes on while cases keep showing; once none has for PATIENCE_MS, the rest are
 * left to fail as their own tests below.
 */
async function settle(cases: Expected[]): Promise<void> {
  let pending = cases;
  let lastShown = Date.now();
  while (pending.length > 0 && Date.now() - lastShown < PATIENCE_MS) {
    const still: Expected[] = [];
    for (const c of pending) if (!(await shows(c))) still.push(c);
    if (still.length < pending.length) lastShown = Date.now();
    pending = still;
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 500)); // polling, as waitFor does
  }
  await quiet();
}

/** Where a path trick would land if it were followed, relative to the vault, Inbox/ or Inbox/hostile/. */
function escapeTargets(): string[] {
  const tricks = ['../../etc', '/abs', '../../etc/passwd', '/tmp/x.md', '../../../etc/passwd.md', '..\\x', 'x', 'etc'];
  const bases = () => [root, abs('Inbox'), abs('Inbox/hostile'), container, os.tmpdir()];
  return [...new Set(bases().flatMap((b) => tricks.map((t) => path.resolve(b, t))))].filter((p) => !p.startsWith(root + path.sep));
}

beforeAll(async () => {
  container = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-hostile-'));
  root = path.join(container, 'vault');
  await mkdir(root);
  // A neighbour of the vault, with notes a path trick or a symbolic link could reach.
  await mkdir(path.join(container, 'sibling', 'dir'), { recursive: true });
  await writeFile(path.join(container, 'sibling', 'victim.md'), goodNote('alpha', 'I live outside the vault.'));
  await writeFile(path.join(container, 'sibling', 'dir', 'victim2.md'), goodNote('alpha', 'So do I.'));
  outsideBefore = await snapshot(container, root);
  escapesBefore = new Map(escapeTargets().map((p) => [p, existsSync(p)]));

  fake = await useFakeClaude();
  for (const [p, content] of Object.entries(GOOD_AGENTS)) await put(p, content);
  daemon = new Daemon({ vault: root, config: { ...TEST_CONFIG, concurrency: 4 }, logger });
  await daemon.start();

  // Definitions first (messages to them must find them), then every message and the good ones together.
  const definitions = corpus.filter((c) => c.path.startsWith('Agents/'));
  for (const c of definitions) await put(c.path, c.content);
  await settle(definitions);
  const messages = corpus.filter((c) => !c.path.startsWith('Agents/'));
  for (let i = 0; i < messages.length; i++) {
    await put(messages[i]!.path, messages[i]!.content);
    if (i % 30 === 0 && GOOD[i / 30]) await put(GOOD[i / 30]!, goodNote(i % 60 ? 'beta' : 'alpha', `Good message ${i / 30}.`));
  }
  for (const [i, p] of GOOD.entries()) if (!written.has(p)) await put(p, goodNote(i % 2 ? 'beta' : 'alpha', `Good message ${i}.`));
  const good = GOOD.map((p): Expected => ({ path: p, content: written.get(p)!, expect: 'runs' }));
  await settle([...messages, ...good]);
  corpusTurns = fake.invocations();
  for (const c of corpus) after.set(c.path, existsSync(abs(c.path)) ? await readFile(abs(c.path)) : null);
}, 1_200_000); // ~40 s on an idle machine; ten minutes was seen on a very busy one

afterAll(async () => {
  await daemon?.close({ graceMs: 1_000 });
  await fake?.restore();
  if (container) await rm(container, { recursive: true, force: true, maxRetries: 3 });
});

/** The one-line, readable error a case must carry. */
function expectReadableError(c: HostileCase, data: FrontmatterData): void {
  expect(typeof data.error, `error on ${c.path}`).toBe('string');
  const error = data.error as string;
  expect(error).not.toMatch(/[\r\n]/);
  // Generous: a definition's error lists every problem, an unknown agent's lists the agents.
  expect(error.length, `error too long to read: ${error.slice(0, 200)}…`).toBeLessThanOrEqual(4000);
  if (c.mentions) expect(error.toLowerCase()).toContain(c.mentions);
}

function checkCase(c: HostileCase) {
  return async () => {
    const before = Buffer.from(c.content);
    const now = after.get(c.path);
    const isDefinition = c.path.startsWith('Agents/');
    const warned = logger.lines.filter((l) => l.note === c.path && (l.level === 'warn' || l.level === 'error'));
    switch (c.expect) {
      case 'ignored':
        expect(now?.equals(before), 'the note is byte-identical').toBe(true);
        expect(turnsFor(c.path, corpusTurns)).toHaveLength(0);
        break;
      case 'log-only':
        expect(now?.equals(before), 'the note is byte-identical').toBe(true);
        expect(warned.map((l) => l.msg)).toContain('note has unreadable frontmatter');
        expect(turnsFor(c.path, corpusTurns)).toHaveLength(0);
        break;
      case 'error-on-note': {
        expect(now, 'the note still exists').not.toBeNull();
        const data = parseFrontmatter(now!.toString('utf8')).data;
        expectReadableError(c, data);
        expect(turnsFor(c.path, corpusTurns)).toHaveLength(0);
        // A message ends in `error`, unless its status itself is the problem or it is a conflict copy
        // (both leave `status` alone).
        const conflict = c.mentions === 'conflict';
        if (!isDefinition && !conflict && readStatus(parseFrontmatter(before.toString('utf8')).data.status) !== null) {
          expect(data.status).toBe('error');
        }
        break;
      }
      case 'runs': {
        expect(now, 'the note still exists').not.toBeNull();
        const raw = now!.toString('utf8');
        const parsed = parseFrontmatter(raw);
        expect(parsed.data.error, 'no error on the note').toBeUndefined();
        if (isDefinition) {
          expect(logger.lines.some((l) => l.msg === 'agent definition loaded' && l.note === c.path)).toBe(true);
          break;
        }
        expect(parsed.data.status).toBe('done');
        expect(turnsFor(c.path, corpusTurns)).toHaveLength(1);
        const reply = /^\[\[(.+)\]\]$/.exec(String(parsed.data.reply))?.[1];
        expect(reply && existsSync(abs(`${reply}.md`)), `reply ${String(parsed.data.reply)} exists`).toBeTruthy();
        // Scriptorium edits fields only: the body is kept byte for byte, and so are CRLF line ends.
        expect(parsed.body).toBe(parseFrontmatter(before.toString('utf8')).body);
        if (before.includes('\r\n') && !BARE_LF.test(before.toString('utf8'))) {
          expect(raw.slice(0, raw.length - parsed.body.length)).not.toMatch(BARE_LF);
        }
        // A message that asks for a callback gets one (or is told why not).
        const asked = parseFrontmatter(before.toString('utf8')).data.reply_to;
        if (asked !== undefined && asked !== null) expect(parsed.data.callback_note ?? parsed.data.callback_skipped).toBeDefined();
        break;
      }
    }
  };
}

describe('hostile corpus', () => {
  it('is at least 300 notes covering every category', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(new Set(corpus.map((c) => c.category))).toEqual(
      new Set(['definition-field-types', 'inbound-field-types', 'broken-yaml', 'odd-valid-yaml', 'encoding', 'binary-empty-huge', 'file-names', 'path-tricks', 'definitions', 'roles-statuses', 'conflict-copies']),
    );
    expect(new Set(corpus.map((c) => c.path)).size).toBe(corpus.length);
    expect(generateCorpus(1).map((c) => sha(Buffer.from(c.content)))).toEqual(corpus.map((c) => sha(Buffer.from(c.content))));
  });

  it('leaves the good messages written at the same time all done', async () => {
    for (const p of GOOD) {
      expect((await fields(p)).status, p).toBe('done');
      expect(turnsFor(p, corpusTurns), p).toHaveLength(1);
    }
  });

  for (const c of corpus) {
    const bug = bugOf(c.path);
    (bug ? it.fails : it)(`${c.category}: ${c.why} → ${c.expect} (${c.path})${bug ? ` [bug: ${bug}]` : ''}`, checkCase(c));
  }
});

describe('while it runs', () => {
  it('a message deleted while queued never runs and leaves nothing behind', async () => {
    // Held until the message behind it has been deleted.
    await put('Inbox/dyn/slow-1.md', goodNote('alpha', 'Take your time [[fake:gate:slow-1]]'));
    await waitStatus('Inbox/dyn/slow-1.md', 'running');
    await put('Inbox/dyn/doomed.md', goodNote('alpha', 'Delete me before I run.'));
    await waitStatus('Inbox/dyn/doomed.md', 'queued');
    await unlink(abs('Inbox/dyn/doomed.md'));
    await fake.openGate('slow-1');
    await waitStatus('Inbox/dyn/slow-1.md', 'done');
    await quiet();
    expect(existsSync(abs('Inbox/dyn/doomed.md'))).toBe(false);
    expect(turnsFor('Inbox/dyn/doomed.md')).toHaveLength(0);
    expect((await readdir(abs('Outbox'))).some((n) => n.includes('doomed'))).toBe(false);
  });

  it('a message renamed while queued runs once, under its new name', async () => {
    // Held until the message behind it has been renamed.
    await put('Inbox/dyn/slow-2.md', goodNote('alpha', 'Take your time [[fake:gate:slow-2]]'));
    await waitStatus('Inbox/dyn/slow-2.md', 'running');
    await put('Inbox/dyn/moving.md', goodNote('alpha', 'Rename me while I wait.'));
    await waitStatus('Inbox/dyn/moving.md', 'queued');
    await rename(abs('Inbox/dyn/moving.md'), abs('Inbox/dyn/moved.md'));
    await fake.openGate('slow-2');
    await waitStatus('Inbox/dyn/moved.md', 'done');
    await quiet();
    expect(existsSync(abs('Inbox/dyn/moving.md'))).toBe(false);
    expect(turnsFor('Inbox/dyn/moving.md')).toHaveLength(0);
    expect(turnsFor('Inbox/dyn/moved.md')).toHaveLength(1);
  });

  it('a definition claiming another agent\'s name gets an error, and the agent keeps its own definition', async () => {
    await put('Agents/dyn/impostor.md', '---\ntags: [agent/definition]\nname: alpha\n---\nYou are an impostor.\n');
    const data = await waitFor(async () => ((await fields('Agents/dyn/impostor.md')).error ? fields('Agents/dyn/impostor.md') : null));
    expect(data.error).toBe('name: the name "alpha" is already taken by Agents/alpha.md');
    await put('Inbox/dyn/after-impostor.md', goodNote('alpha', 'Who are you?'));
    await waitStatus('Inbox/dyn/after-impostor.md', 'done');
    const turn = turnsFor('Inbox/dyn/after-impostor.md')[0]!;
    expect(argValue(turn.argv, '--append-system-prompt')).toBe('You are alpha.');
    expect(await text('Agents/alpha.md')).toBe(GOOD_AGENTS['Agents/alpha.md']);
  });

  it('a thread note the user edited keeps the edit when the next turn is appended', async () => {
    const before = await text('Threads/alpha.md');
    const turns = Number(parseFrontmatter(before).data.turn_count);
    const edited = before.replace(/^---\n/, '---\nmy_field: keep me\n') + '\nMy own note in the thread: DO NOT LOSE\n';
    await put('Threads/alpha.md', edited);
    await quiet(200);
    await put('Inbox/dyn/after-thread-edit.md', goodNote('alpha', 'Continue, please.'));
    await waitStatus('Inbox/dyn/after-thread-edit.md', 'done');
    const now = await text('Threads/alpha.md');
    const data = parseFrontmatter(now).data;
    expect(data.my_field).toBe('keep me');
    expect(data.turn_count).toBe(turns + 1);
    expect(now).toContain('[[Inbox/dyn/after-thread-edit]]');
    // Typed below the turn before, it went with that turn to the end of the archive, shown above the new one.
    const archive = await text(`${String(data.archive).slice(2, -2)}.md`);
    expect(archive.endsWith('\nMy own note in the thread: DO NOT LOSE\n')).toBe(true);
    expect(now.indexOf(`![${String(data.archive)}]`)).toBeLessThan(now.indexOf('[[Inbox/dyn/after-thread-edit]]'));
  });

  it('an outbound note the user edited never wakes anything', async () => {
    const reply = /^\[\[(.+)\]\]$/.exec(String((await fields(GOOD[0]!)).reply))![1]! + '.md';
    const edited = (await text(reply)).replace(/^---\n/, '---\nstatus: ready\n').replace(/\nstatus: ok\n/, '\n') + '\nPlease answer this, alpha!\n';
    await quiet(1_000);
    const turns = fake.invocations().length;
    // Notes only: the daemon's own state folder may hold a temp file for a moment.
    const notes = async () => [...(await snapshot(root)).keys()].filter((p) => !p.startsWith('.scriptorium/')).length;
    const files = await notes();
    await put(reply, edited.replace(/\nto: user\n/, '\nto: alpha\n'));
    await quiet(1_000);
    expect(fake.invocations().length).toBe(turns);
    expect((await readFile(abs(reply))).equals(written.get(reply)!)).toBe(true);
    expect(await notes()).toBe(files);
  });

  it(`symbolic links out of the vault are not followed (was ${B11.split(' ')[0]})`, async () => {
    await symlink(path.join(container, 'sibling', 'victim.md'), abs('Inbox/dyn/link.md'));
    await symlink(path.join(container, 'sibling', 'dir'), abs('Inbox/dyn/linkdir'));
    await quiet();
    expect(lstatSync(abs('Inbox/dyn/link.md')).isSymbolicLink()).toBe(true);
    expect(turnsFor('Inbox/dyn/link.md')).toHaveLength(0);
    expect(turnsFor('Inbox/dyn/linkdir/victim2.md')).toHaveLength(0);
  });
});

describe('afterwards', () => {
  it('the daemon is alive and a fresh good message runs', async () => {
    await put('Inbox/good/fresh.md', goodNote('beta', 'Still there?'));
    await waitStatus('Inbox/good/fresh.md', 'done');
    expect(turnsFor('Inbox/good/fresh.md')).toHaveLength(1);
  });

  it('nothing outside the vault was created or changed', async () => {
    expect(await snapshot(container, root)).toEqual(outsideBefore);
    for (const [p, existed] of escapesBefore) expect(existsSync(p), p).toBe(existed);
  });

  it('Scriptorium created files only in Inbox/, Outbox/, Threads/, .scriptorium/ and Dashboard.md', async () => {
    const created = [...(await snapshot(root)).keys()].filter((p) => !p.endsWith('/') && !written.has(p));
    expect(created.filter((p) => !/^(Inbox|Outbox|Threads|\.scriptorium)\//.test(p) && p !== 'Dashboard.md')).toEqual([]);
  });

  it('every file name Scriptorium created is safe on Windows, macOS, Linux and in Obsidian links', async () => {
    const created = [...(await snapshot(root)).keys()].filter((p) => !p.endsWith('/') && !written.has(p));
    const unsafe = created.filter((p) => p.split('/').some((segment) => !isSafeName(segment)));
    expect(unsafe.filter((p) => p !== 'Threads/con.md')).toEqual([]);
  });

  it(`no agent gets a thread note named after a Windows device (was ${B9.split(' ')[0]})`, async () => {
    expect(existsSync(abs('Threads/con.md'))).toBe(false);
  });

  it('no note Scriptorium wrote has broken frontmatter', async () => {
    const broken: string[] = [];
    for (const p of (await snapshot(root)).keys()) {
      if (!p.endsWith('.md') || p.split('/').some((s) => s.startsWith('.'))) continue;
      const bytes = await readFile(abs(p));
      if (written.get(p)?.equals(bytes)) continue;
      try {
        parseFrontmatter(bytes.toString('utf8'));
      } catch (error) {
        broken.push(`${p}: ${(error as Error).message}`);
      }
    }
    expect(broken.filter((b) => !bugOf(b.slice(0, b.indexOf('.md: ') + 3)))).toEqual([]);
  });

  it('nothing failed inside Scriptorium', () => {
    const failures = logger.lines.filter((l) => l.level === 'error' && !bugOf(String(l.note)));
    expect(failures.map((l) => `${l.msg}: ${String(l.note)} ${String(l.error ?? l.writeError ?? '')}`.slice(0, 300))).toEqual([]);
  });
});

describe('a definition with a huge description', () => {
  it(`does not break the other agents (was ${B12.split(' ')[0]})`, async () => {
    const verbose = `---\ntags: [agent/definition]\ndescription: ${'d'.repeat(140_000)}\n---\nYou are verbose.\n`;
    const h = await createHarness({ files: { 'Agents/alpha.md': GOOD_AGENTS['Agents/alpha.md']!, 'Agents/verbose.md': verbose } });
    try {
      await h.start();
      await h.vault.write('Inbox/q.md', goodNote('alpha', 'Hello?'));
      const data = await waitForStatus(h.vault, 'Inbox/q.md', ['done', 'error']);
      expect(data.error).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\..*)?$/i;
/** A path segment that works everywhere: Windows, macOS, Linux, and inside `[[...]]`. */
function isSafeName(segment: string): boolean {
  return (
    segment.length > 0 &&
    Buffer.byteLength(segment) <= 255 &&
    !/[<>:"/\\|?*\u0000-\u001f\u007f#^[\]]/.test(segment) &&
    !/[. ]$/.test(segment) &&
    !WINDOWS_RESERVED.test(segment)
  );
}
