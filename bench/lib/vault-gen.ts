import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prng } from '../../scripts/prng.ts';

/**
 * Generated vaults that look like real ones: notes of 0.5–8 KB (log-uniform, so most are 1–3 KB), YAML
 * frontmatter on about half of them, folders nested up to four deep with 20–120 notes each, daily notes,
 * attachments, an `.obsidian/` folder, and 2 % Scriptorium notes (agent definitions, their thread notes,
 * finished messages and their replies, and the `.scriptorium/turns.jsonl` those turns left).
 *
 * Bump GENERATOR_VERSION whenever the output changes: cached vaults are keyed by it and by size.
 */
const GENERATOR_VERSION = 2;
const DONE_MARK = '.bench-vault-complete';

export interface GeneratedVault {
  root: string;
  notes: number;
  scriptoriumNotes: number;
  agents: number;
  attachments: number;
  bytes: number;
}

/** The vault of `notes` notes, generated on first use into os.tmpdir() and reused afterwards. */
export function cachedVault(notes: number): GeneratedVault {
  const root = path.join(os.tmpdir(), 'scriptorium-bench', `vault-v${GENERATOR_VERSION}-${notes}`);
  const mark = path.join(root, DONE_MARK);
  if (existsSync(mark)) {
    resetState(root);
    return JSON.parse(readFileSync(mark, 'utf8')) as GeneratedVault;
  }
  rmSync(root, { recursive: true, force: true });
  const vault = generateVault(root, notes);
  writeFileSync(mark, JSON.stringify(vault));
  return vault;
}

/**
 * What a daemon run leaves in `.scriptorium/` (lock, status, temp files) goes, so every run starts from
 * the same vault; the turns log is part of the generated vault and stays.
 */
export function resetState(root: string): void {
  for (const entry of ['daemon.pid', 'status.json', 'tmp', 'journal.jsonl', 'schedule.json']) {
    rmSync(path.join(root, '.scriptorium', entry), { recursive: true, force: true });
  }
}


const WORDS = (
  'the of and to in is that for it as with was on be by this are or at from have an which not but all they ' +
  'one had can more their when will there some what about would into time only other its these then also ' +
  'project meeting review draft notes idea research paper chapter budget plan design release customer garden ' +
  'recipe travel reading book author summary question answer follow-up deadline weekly monthly quarter goal ' +
  'habit health sleep running training language grammar vocabulary history source quote argument evidence ' +
  'model data analysis result figure table experiment hypothesis method sample interview transcript theme ' +
  'server deploy config bug issue fix test build pipeline latency memory cache index query schema migration'
).split(' ');

const TOPICS = ['Projects', 'Areas', 'Resources', 'Archive', 'Reading', 'People', 'Meetings', 'Research', 'Journal', 'Work', 'Home', 'Learning'];

function words(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
}

function sentence(rand: () => number): string {
  const n = 6 + Math.floor(rand() * 14);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)]!);
  if (rand() < 0.15) words.splice(Math.floor(rand() * n), 0, `[[${WORDS[Math.floor(rand() * WORDS.length)]} ${Math.floor(rand() * 500)}]]`);
  const text = words.join(' ');
  return text[0]!.toUpperCase() + text.slice(1) + '.';
}

/** Building blocks of note bodies, made once: a body is a few of them, so 50,000 notes take seconds. */
function makeBlocks(rand: () => number): string[] {
  const blocks: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const kind = rand();
    if (kind < 0.5) {
      blocks.push(Array.from({ length: 2 + Math.floor(rand() * 5) }, () => sentence(rand)).join(' ') + '\n\n');
    } else if (kind < 0.65) {
      blocks.push(`## ${words(rand, 5)}\n\n`);
    } else if (kind < 0.8) {
      blocks.push(Array.from({ length: 2 + Math.floor(rand() * 6) }, () => `- ${sentence(rand)}`).join('\n') + '\n\n');
    } else if (kind < 0.9) {
      blocks.push(Array.from({ length: 2 + Math.floor(rand() * 4) }, () => `- [${rand() < 0.5 ? 'x' : ' '}] ${sentence(rand)}`).join('\n') + '\n\n');
    } else if (kind < 0.95) {
      blocks.push(`> ${sentence(rand)} ${sentence(rand)}\n\n`);
    } else {
      blocks.push('```\n' + Array.from({ length: 3 + Math.floor(rand() * 6) }, () => `${WORDS[Math.floor(rand() * WORDS.length)]} = ${Math.floor(rand() * 1e6)}`).join('\n') + '\n```\n\n');
    }
  }
  return blocks;
}

function body(rand: () => number, blocks: string[], bytes: number): string {
  let text = '';
  while (text.length < bytes) text += blocks[Math.floor(rand() * blocks.length)];
  return text.slice(0, bytes).replace(/\s*$/, '\n');
}

/** 0.5–8 KB, log-uniform: most notes are short, a few are long. */
function noteSize(rand: () => number): number {
  return Math.round(Math.exp(Math.log(500) + rand() * (Math.log(8000) - Math.log(500))));
}

function ordinaryFrontmatter(rand: () => number, day: string): string {
  const tags = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => WORDS[60 + Math.floor(rand() * (WORDS.length - 60))]);
  const lines = ['---', `tags: [${tags.join(', ')}]`, `created: ${day}`];
  if (rand() < 0.3) lines.push(`aliases:\n  - ${words(rand, 3)}`);
  if (rand() < 0.3) lines.push(`status: ${['active', 'someday', 'done', 'waiting'][Math.floor(rand() * 4)]}`);
  if (rand() < 0.2) lines.push(`source: "https://example.org/${Math.floor(rand() * 1e6)}"`);
  if (rand() < 0.1) lines.push(`rating: ${1 + Math.floor(rand() * 5)}`);
  lines.push('---', '');
  return lines.join('\n');
}

function isoDay(rand: () => number): string {
  const d = new Date(Date.UTC(2022, 0, 1) + Math.floor(rand() * 1400) * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** Writes files into `root` by vault path, making each folder once. */
export function fileWriter(root: string): (vaultPath: string, text: string | Buffer) => void {
  const made = new Set<string>();
  return (vaultPath, text) => {
    const file = path.join(root, ...vaultPath.split('/'));
    const dir = path.dirname(file);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(file, text);
  };
}

export function generateVault(root: string, notes: number, seed = notes): GeneratedVault {
  const rand = prng(seed);
  const blocks = makeBlocks(rand);
  let bytes = 0;
  const writeFile = fileWriter(root);
  const write = (vaultPath: string, text: string | Buffer) => {
    writeFile(vaultPath, text);
    bytes += text.length;
  };

  // Scriptorium's share: 2 %, as agents, their threads, finished messages and their replies.
  const scriptoriumNotes = Math.max(8, Math.round(notes * 0.02));
  const agents = Math.max(2, Math.round(scriptoriumNotes * 0.05));
  const exchanges = Math.floor((scriptoriumNotes - 2 * agents) / 2);
  const agentNames = Array.from({ length: agents }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
  for (const name of agentNames) {
    write(
      `Agents/${name}.md`,
      `---\ntags: [agent/definition]\ndescription: ${words(rand, 8)}\nmodel: sonnet\ntools: [Read, Grep, Glob]\n---\n${body(rand, blocks, 400 + Math.floor(rand() * 1200))}`,
    );
  }
  const turnsPerAgent = new Map<string, number>();
  const turnLog: string[] = [];
  for (let i = 0; i < exchanges; i++) {
    const agent = agentNames[i % agents]!;
    const day = isoDay(rand);
    const title = `${day} 0930${String(i % 60).padStart(2, '0')} ${agent} - question ${i}`;
    const reply = `Outbox/${day} 0931${String(i % 60).padStart(2, '0')} ${agent} - question ${i}`;
    write(
      `Inbox/${title}.md`,
      `---\ntags: [agent/message/inbound]\nto: ${agent}\nfrom: user\nstatus: done\nqueued_at: ${day}T09:30:00+00:00\nstarted_at: ${day}T09:30:01+00:00\nfinished_at: ${day}T09:31:00+00:00\nthread: "[[Threads/${agent}]]"\nreply: "[[${reply}]]"\n---\n${body(rand, blocks, 200 + Math.floor(rand() * 1500))}`,
    );
    write(
      `${reply}.md`,
      `---\ntags: [agent/message/outbound]\nfrom: ${agent}\nto: user\nstatus: ok\nin_reply_to: "[[Inbox/${title}]]"\nthread: "[[Threads/${agent}]]"\ncreated: ${day}T09:31:00+00:00\n---\n${body(rand, blocks, noteSize(rand))}`,
    );
    turnsPerAgent.set(agent, (turnsPerAgent.get(agent) ?? 0) + 1);
    turnLog.push(
      JSON.stringify({ at: `${day}T09:31:00+00:00`, agent, message: `Inbox/${title}.md`, thread: `Threads/${agent}.md`, reply: `${reply}.md`, ok: true, costUsd: 0.01, durationMs: 59_000, session: randomUUID() }),
    );
  }
  for (const agent of agentNames) {
    const turns = turnsPerAgent.get(agent) ?? 0;
    write(
      `Threads/${agent}.md`,
      `---\ntags: [agent/thread]\nagent: ${agent}\nmode: single-threaded\nstatus: ok\nsession: ${randomUUID()}\nturn_count: ${turns}\ncost_usd: ${(turns * 0.01).toFixed(2)}\n---\n${body(rand, blocks, 2000 + Math.min(turns, 40) * 300)}`,
    );
  }
  write('.scriptorium/turns.jsonl', turnLog.join('\n') + (turnLog.length ? '\n' : ''));

  // Everything else: ordinary notes in nested folders, a third of them daily notes.
  const ordinary = notes - agents * 2 - exchanges * 2;
  const folders: string[] = [];
  const folderCount = Math.max(4, Math.round(ordinary / 60));
  for (let f = 0; f < folderCount; f++) {
    const depth = 1 + Math.floor(rand() * 4);
    const parts = [TOPICS[Math.floor(rand() * TOPICS.length)]!];
    for (let d = 1; d < depth; d++) parts.push(`${WORDS[60 + Math.floor(rand() * (WORDS.length - 60))]} ${Math.floor(rand() * 40)}`);
    folders.push(parts.join('/'));
  }
  let attachments = 0;
  for (let i = 0; i < ordinary; i++) {
    const day = isoDay(rand);
    const daily = rand() < 0.3;
    const vaultPath = daily
      ? `Daily/${day.slice(0, 4)}/${day.slice(5, 7)}/${day} ${i}.md`
      : `${folders[Math.floor(rand() * folders.length)]}/${words(rand, 4)} ${i}.md`;
    const size = noteSize(rand);
    const front = rand() < 0.5 ? ordinaryFrontmatter(rand, day) : '';
    write(vaultPath, front + `# ${words(rand, 6)}\n\n` + body(rand, blocks, Math.max(100, size - front.length)));
    // About one attachment per 40 notes (the watcher sees them too, and must skip them).
    if (rand() < 0.025) {
      const bin = Buffer.alloc(2_000 + Math.floor(rand() * 40_000), i % 251);
      write(`${path.posix.dirname(vaultPath)}/attachment ${i}.${rand() < 0.7 ? 'png' : 'pdf'}`, bin);
      attachments++;
    }
  }
  write('.obsidian/app.json', JSON.stringify({ alwaysUpdateLinks: true, newFileLocation: 'folder' }, null, 2));
  write('.obsidian/workspace.json', JSON.stringify({ main: { id: 'x', type: 'split', children: [] }, lastOpenFiles: folders.slice(0, 20) }, null, 2));
  write('.obsidian/plugins/dataview/data.json', JSON.stringify({ renderNullAs: '-' }));
  return { root, notes, scriptoriumNotes: agents * 2 + exchanges * 2, agents, attachments, bytes };
}
