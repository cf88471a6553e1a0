// Growth bench: the cost of one turn against the length of its thread. A single-threaded agent whose thread
// note already holds N turns (written as a long-lived vault has it: every turn in the note, as before thread
// archives existed) gets one turn to settle in (the move of those turns to the archive, once), then `turns`
// more, one at a time, with the instant runner. Per turn: bytes the daemon's process wrote and read
// (/proc/self/io: every write and read, renames, appends, journal and status included) and CPU. The baseline
// is the same at N = 0, measured in the same run; ratios are taken run by run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Daemon } from '../src/daemon/daemon.ts';
import { newThreadNote, renderTurn } from '../src/threads/thread-note.ts';
import { instantRunner } from './lib/instant-runner.ts';
import { writeAtomically } from './lib/note-writes.ts';
import { installProbe } from './lib/probe.ts';
import { printTable, progress, show, showRatio } from './lib/report.ts';
import { ratios, spread, type Spread } from './lib/stats.ts';

export interface ThreadGrowthOptions {
  runs: number;
  /** Turns already in the thread note. */
  sizes: number[];
  /** Turns measured at each size. */
  turns: number;
}

interface PerTurn {
  writtenKB: number;
  readKB: number;
  cpuMs: number;
  /** Bytes of the thread note after the measured turns. */
  threadNoteKB: number;
}

export interface ThreadGrowthSize {
  existingTurns: number;
  writtenKB: Spread;
  readKB: Spread;
  cpuMs: Spread;
  threadNoteKB: Spread;
  writtenVsFirst: Spread;
  cpuVsFirst: Spread;
}

export interface ThreadGrowthResult {
  runs: number;
  turns: number;
  sizes: ThreadGrowthSize[];
}

const AGENT = 't00';

function io(): { wchar: number; rchar: number } {
  const text = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { wchar: field('wchar'), rchar: field('rchar') };
}

function message(i: number): string {
  return `---\ntags: [agent/message/inbound]\nto: ${AGENT}\nfrom: user\n---\nMessage ${i} for ${AGENT}: summarise what changed in the project notes today, briefly.\n`;
}

/** A thread note that has had `turns` turns, all in the note, each as the instant runner's turns record it. */
function livedThread(turns: number): string {
  const at = new Date('2026-01-01T09:00:00Z');
  const records = Array.from({ length: turns }, (_, i) =>
    renderTurn({ number: i + 1, at, from: 'user', messagePath: `Inbox/old${i}.md`, messageText: `Message ${i} for ${AGENT}: summarise what changed in the project notes today, briefly.`, replyPath: `Outbox/old${i}.md`, replyText: 'Done.', ok: true, tools: [], costUsd: 0.0001, durationMs: 1, notices: [] }),
  );
  const note = newThreadNote(AGENT, 'single-threaded', at)
    .replace(/^turn_count: 0$/m, `turn_count: ${turns}`)
    .replace(/^session: ''$/m, turns > 0 ? 'session: 11111111-1111-1111-1111-111111111111' : "session: ''");
  return note + records.join('');
}

async function oneSize(existing: number, turns: number): Promise<PerTurn> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-thread-'));
  mkdirSync(path.join(root, 'Agents'), { recursive: true });
  mkdirSync(path.join(root, 'Threads'), { recursive: true });
  writeFileSync(path.join(root, 'Agents', `${AGENT}.md`), `---\ntags: [agent/definition]\ndescription: answers the thread bench\n---\nAnswer in one line.\n`);
  writeFileSync(path.join(root, 'Threads', `${AGENT}.md`), livedThread(existing));
  const probe = installProbe();
  probe.reset(false, root);
  let done = 0;
  let onDone: () => void = () => {};
  const stop = probe.on((mark) => {
    if (mark.kind === 'update' && mark.path.startsWith('Inbox/') && mark.fields?.status === 'done') {
      done++;
      onDone();
    }
  });
  const daemon = new Daemon({ vault: root, runner: instantRunner(), logger: probe.logger() });
  /** One message, written as a sync tool lands it; resolves when it is done. */
  const oneTurn = async (i: number): Promise<number> => {
    const target = done + 1;
    const finished = new Promise<void>((resolve) => (onDone = () => done >= target && resolve()));
    const text = message(i);
    writeAtomically(root, `Inbox/m${String(i).padStart(5, '0')}.md`, text);
    await finished;
    await daemon.idle();
    // The message's own bytes, written by this process as another one would: not the daemon's.
    return Buffer.byteLength(text);
  };
  try {
    await daemon.start();
    await daemon.idle();
    await oneTurn(0);
    const before = io();
    const cpu = process.cpuUsage();
    let ours = 0;
    for (let i = 1; i <= turns; i++) ours += await oneTurn(i);
    const used = process.cpuUsage(cpu);
    const after = io();
    const threadNote = readFileSync(path.join(root, 'Threads', `${AGENT}.md`)).length;
    return {
      writtenKB: (after.wchar - before.wchar - ours) / turns / 1024,
      readKB: (after.rchar - before.rchar) / turns / 1024,
      cpuMs: (used.user + used.system) / 1000 / turns,
      threadNoteKB: threadNote / 1024,
    };
  } finally {
    stop();
    await daemon.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function threadGrowthBench(options: ThreadGrowthOptions): Promise<ThreadGrowthResult> {
  const sizes = [0, ...options.sizes.filter((n) => n > 0)];
  const figures = new Map<number, PerTurn[]>(sizes.map((n) => [n, []]));
  // Once, not counted: the first daemon in a process pays for loading and compiling the code.
  await oneSize(0, Math.min(options.turns, 5));
  for (let run = 0; run < options.runs; run++) {
    for (const n of sizes) {
      const f = await oneSize(n, options.turns);
      figures.get(n)!.push(f);
      progress(`thread growth run ${run + 1}, ${n} turns before: ${f.writtenKB.toFixed(1)} KB written, ${f.cpuMs.toFixed(1)} ms CPU per turn`);
    }
  }
  const first = figures.get(0)!;
  const result: ThreadGrowthResult = {
    runs: options.runs,
    turns: options.turns,
    sizes: sizes.map((n) => {
      const f = figures.get(n)!;
      return {
        existingTurns: n,
        writtenKB: spread(f.map((x) => x.writtenKB)),
        readKB: spread(f.map((x) => x.readKB)),
        cpuMs: spread(f.map((x) => x.cpuMs)),
        threadNoteKB: spread(f.map((x) => x.threadNoteKB)),
        writtenVsFirst: ratios(f.map((x) => x.writtenKB), first.map((x) => x.writtenKB)),
        cpuVsFirst: ratios(f.map((x) => x.cpuMs), first.map((x) => x.cpuMs)),
      };
    }),
  };
  printTable(`Growth: one turn against its thread's length (${options.turns} turns measured at each size, instant runner; baseline: a thread's first turns)`, [
    ['turns before', 'written per turn', 'vs first', 'read per turn', 'CPU per turn', 'vs first', 'thread note after'],
    ...result.sizes.map((s) => [String(s.existingTurns), show(s.writtenKB, 1, ' KB'), showRatio(s.writtenVsFirst), show(s.readKB, 1, ' KB'), show(s.cpuMs, 1, ' ms'), showRatio(s.cpuVsFirst), show(s.threadNoteKB, 1, ' KB')]),
  ]);
  return result;
}
