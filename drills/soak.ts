// The soak (issue 5): N turns through the daemon with a runner that answers at once, while "the user"
// keeps editing other notes (ordinary notes, thread notes, replies) in the same vault. Figure: spurious
// turns, i.e. runner calls beyond one per message (Scriptorium's own writes must never wake it): 0.
//
//   npm run drill:soak            (SOAK_TURNS=1000 by default)
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Daemon } from '../src/daemon/daemon.ts';
import type { Runner, TurnResult } from '../src/runner/types.ts';
import { createMemoryLogger } from '../src/util/logger.ts';
import { parseFrontmatter } from '../src/vault/frontmatter.ts';

export interface SoakFigures {
  turns: number;
  runnerCalls: number;
  spuriousTurns: number;
  notDone: number;
  userEdits: number;
  seconds: number;
  turnsPerSecond: number;
}

export async function soak(turns: number, agents = 10): Promise<SoakFigures> {
  const vault = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-soak-'));
  for (const dir of ['Agents', 'Inbox', 'Notes']) await mkdir(path.join(vault, dir), { recursive: true });
  for (let a = 0; a < agents; a++) await writeFile(path.join(vault, `Agents/a${a}.md`), `---\ntags: [agent/definition]\n---\nAgent ${a}.\n`);
  const calls = new Map<string, number>();
  const runner: Runner = async (request) => {
    const note = /message note: (.+)/.exec(request.prompt)?.[1] ?? '?';
    calls.set(note, (calls.get(note) ?? 0) + 1);
    return answer(request.sessionId);
  };
  const daemon = new Daemon({ vault, runner, logger: createMemoryLogger(), config: { concurrency: 4, settleMs: 30 } });
  await daemon.start();
  const started = Date.now();

  // The user, meanwhile: rewrites ordinary notes, and appends to thread and reply notes.
  let editing = true;
  let userEdits = 0;
  const user = (async () => {
    let i = 0;
    while (editing) {
      i++;
      await writeFile(path.join(vault, `Notes/n${i % 50}.md`), `---\ntitle: note ${i}\ntags: [journal]\n---\nEdited ${i} times.\n`);
      userEdits++;
      if (i % 10 === 0) {
        for (const dir of ['Threads', 'Outbox']) {
          const names = (await readdir(path.join(vault, dir)).catch(() => [] as string[])).filter((n) => n.endsWith('.md'));
          const pick = names[i % Math.max(names.length, 1)];
          if (!pick) continue;
          const file = path.join(vault, dir, pick);
          try {
            await writeFile(file, (await readFile(file, 'utf8')) + `\nA remark the user added (${i}).\n`);
            userEdits++;
          } catch {
            // Being replaced by an atomic write right now: skip this one.
          }
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const messages: string[] = [];
  for (let n = 0; n < turns; n++) {
    const rel = `Inbox/m${String(n).padStart(4, '0')}.md`;
    await writeFile(path.join(vault, rel), `---\ntags: [agent/message/inbound]\nto: a${n % agents}\n---\nMessage ${n}.\n`);
    messages.push(rel);
    if (n % 50 === 49) await new Promise((r) => setTimeout(r, 20));
  }
  // Until every message is done, or nothing has moved for 30 s (a stuck message is a finding).
  let notDone = turns;
  let lastProgress = Date.now();
  const stuck: string[] = [];
  while (Date.now() - lastProgress < 30_000) {
    let count = 0;
    stuck.length = 0;
    for (const rel of messages) {
      try {
        const raw = await readFile(path.join(vault, rel), 'utf8');
        if (parseFrontmatter(raw).data.status !== 'done') {
          count++;
          stuck.push(`${rel}:\n${raw}`);
        }
      } catch (error) {
        count++;
        stuck.push(`${rel}: unreadable (${(error as Error).message})`);
      }
    }
    if (count < notDone) lastProgress = Date.now();
    notDone = count;
    if (notDone === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (stuck.length) console.error(`not done:\n${stuck.slice(0, 3).join('\n')}`);
  // Quiet for a while with the user still editing: nothing more may run.
  await new Promise((r) => setTimeout(r, 1_000));
  editing = false;
  await user;
  await daemon.idle();
  await daemon.close();
  const seconds = (Date.now() - started) / 1000;
  const runnerCalls = [...calls.values()].reduce((a, b) => a + b, 0);
  if (process.env.SOAK_KEEP) console.error(`vault kept at ${vault}`);
  else await rm(vault, { recursive: true, force: true });
  return {
    turns,
    runnerCalls,
    spuriousTurns: runnerCalls - (turns - notDone),
    notDone,
    userEdits,
    seconds: Math.round(seconds * 10) / 10,
    turnsPerSecond: Math.round((turns / seconds) * 10) / 10,
  };
}

function answer(sessionId: string): TurnResult {
  return {
    ok: true, text: 'Done.', errorKind: undefined, error: undefined, transient: false, sessionId, costUsd: 0.0001,
    usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 }, numTurns: 1, durationMs: 1,
    tools: [], permissionDenials: [], exitCode: 0, signal: null, stderrTail: '',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await soak(Number(process.env.SOAK_TURNS ?? 1000));
  console.log(JSON.stringify(figures, null, 2));
  process.exitCode = figures.spuriousTurns === 0 && figures.notDone === 0 ? 0 : 1;
}
