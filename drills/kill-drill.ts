// The kill drill (issue 5): the daemon with the fake `claude` over 200 messages across 10 agents,
// killed with SIGKILL at random moments 30 times and restarted after each; at the end every note is
// checked. Figures: messages lost, duplicated replies, corrupted notes (all must be 0), turns re-run.
//
//   npm run drill:kill            (about a minute; DRILL_KILLS / DRILL_MESSAGES / DRILL_SEED to vary)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFrontmatter } from '../src/vault/frontmatter.ts';
import { linkTarget } from '../src/vault/links.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(repo, 'src/cli/run.ts');
const FAKE = path.join(repo, 'test/fixtures/fake-claude.mjs');
const KILLS = Number(process.env.DRILL_KILLS ?? 30);
const MESSAGES = Number(process.env.DRILL_MESSAGES ?? 200);
const AGENTS = 10;
let seed = Number(process.env.DRILL_SEED ?? Date.now() % 100_000);
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const vault = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-drill-'));
const state = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-drill-claude-'));
const env = { ...process.env, FAKE_CLAUDE_STATE: state, FAKE_CLAUDE_LOG: path.join(state, 'log.jsonl'), FAKE_CLAUDE_MODE: 'success,slow:120' };
await mkdir(path.join(vault, 'Agents'), { recursive: true });
await mkdir(path.join(vault, 'Inbox'), { recursive: true });
for (let a = 0; a < AGENTS; a++) {
  await writeFile(path.join(vault, `Agents/agent${a}.md`), `---\ntags: [agent/definition]\nmode: ${a % 2 ? 'multi-threaded' : 'single-threaded'}\n---\nYou are agent ${a}.\n`);
}
const written: string[] = [];
async function writeMessages(count: number): Promise<void> {
  for (let i = 0; i < count && written.length < MESSAGES; i++) {
    const n = written.length;
    const rel = `Inbox/m${String(n).padStart(3, '0')}.md`;
    await writeFile(path.join(vault, rel), `---\ntags: [agent/message/inbound]\nto: agent${n % AGENTS}\n---\nMessage number ${n}.\n`);
    written.push(rel);
  }
}

function startDaemon(): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'start', vault, '--claude', FAKE, '--log-format', 'json', '--concurrency', '3'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  return child;
}
const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

async function statuses(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of written) {
    try {
      out.set(rel, String(parseFrontmatter(await readFile(path.join(vault, rel), 'utf8')).data.status ?? 'ready'));
    } catch {
      out.set(rel, 'unreadable');
    }
  }
  return out;
}

const started = Date.now();
await writeMessages(MESSAGES / 2);
let daemon = startDaemon();
for (let k = 0; k < KILLS; k++) {
  await sleep(200 + random() * 1200);
  await writeMessages(Math.ceil(MESSAGES / 2 / KILLS));
  daemon.kill('SIGKILL');
  await exited(daemon);
  daemon = startDaemon();
}
await writeMessages(MESSAGES);
// Let it finish: every message done or error (a message cut off twice is left in error by design).
const deadline = Date.now() + 180_000;
while (Date.now() < deadline) {
  const s = [...(await statuses()).values()];
  if (s.every((v) => v === 'done' || v === 'error')) break;
  await sleep(500);
}
daemon.kill('SIGINT');
await exited(daemon);

// The checks.
const final = await statuses();
const lost = [...final].filter(([, s]) => s !== 'done' && s !== 'error').map(([p]) => p);
const errored = [...final].filter(([, s]) => s === 'error').map(([p]) => p);
let corrupted = 0;
const repliesPer = new Map<string, number>();
let recovered = 0;
async function walk(dir: string): Promise<void> {
  for (const entry of await readdir(path.join(vault, dir), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await walk(rel);
    else if (rel.endsWith('.md')) {
      try {
        const { data } = parseFrontmatter(await readFile(path.join(vault, rel), 'utf8'));
        if (data.recovered === true) recovered++;
        const inReplyTo = linkTarget(data.in_reply_to);
        if (inReplyTo) repliesPer.set(inReplyTo, (repliesPer.get(inReplyTo) ?? 0) + 1);
      } catch {
        corrupted++;
        console.error(`corrupted: ${rel}`);
      }
    }
  }
}
await walk('');
const duplicated = [...repliesPer.values()].filter((n) => n > 1).length;
const log = existsSync(env.FAKE_CLAUDE_LOG) ? readFileSync(env.FAKE_CLAUDE_LOG, 'utf8').trim().split('\n').length : 0;
const figures = {
  messages: written.length,
  agents: AGENTS,
  kills: KILLS,
  seed: Number(process.env.DRILL_SEED ?? 0) || undefined,
  lost: lost.length,
  duplicatedReplies: duplicated,
  corruptedNotes: corrupted,
  leftInError: errored.length,
  markedRecovered: recovered,
  claudeRuns: log,
  turnsReRun: log - written.length + errored.length,
  seconds: Math.round((Date.now() - started) / 1000),
};
console.log(JSON.stringify(figures, null, 2));
// Why each message left in error is there (a documented outcome, or a bug to look at).
for (const p of errored) {
  const { data } = parseFrontmatter(await readFile(path.join(vault, p), 'utf8'));
  console.log(`in error: ${p}: ${String(data.error).slice(0, 160)}`);
}
if (lost.length) console.error(`lost: ${lost.slice(0, 10).join(', ')}`);
await rm(vault, { recursive: true, force: true });
await rm(state, { recursive: true, force: true });
process.exitCode = lost.length + duplicated + corrupted > 0 ? 1 : 0;
