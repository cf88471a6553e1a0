// A vault's history made while the daemon runs (spawned by growth-history.ts): `pairs` ready messages
// written, one daemon started on them (the instant runner answers each), run until idle, then stopped.
// Its clock jumps an hour ahead before the stop, as if it had run on a while: notes that settled while it
// ran have been still long enough to be vouched for, and the next start may know them.
//
//   node bench/growth-history-running-child.ts <vault> <pairs>
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { reportToParent } from './lib/child.ts';

export interface HistoryRunningFigures {
  /** From the start until every message was done and the daemon stopped. */
  ms: number;
  /** Lines in the notes index once stopped (the start's and those appended while it ran). */
  indexLines: number;
}

const [root, pairsArg, agentsArg] = process.argv.slice(2) as [string, string, string];
const { Daemon } = await import('../src/daemon/daemon.ts');
const { createLogger } = await import('../src/util/logger.ts');
const { instantRunner } = await import('./lib/instant-runner.ts');
const { readFile } = await import('node:fs/promises');
const pairs = Number(pairsArg);
const agents = Number(agentsArg);
mkdirSync(path.join(root, 'Inbox', 'new'), { recursive: true });
for (let i = 0; i < pairs; i++) {
  writeFileSync(path.join(root, 'Inbox', 'new', `question ${i}.md`), `---\ntags: [agent/message/inbound]\nto: agent-${i % agents}\nfrom: user\nstatus: ready\n---\nQuestion ${i}: what was decided?\n`);
}
let ahead = 0;
const t0 = performance.now();
const daemon = new Daemon({ vault: root, runner: instantRunner(), logger: createLogger({ level: 'warn' }), clock: { now: () => new Date(Date.now() + ahead) } });
await daemon.start();
await daemon.watching();
await daemon.idle();
ahead = 3_600_000;
await daemon.close();
const ms = performance.now() - t0;
const index = await readFile(path.join(root, '.scriptorium', 'notes-index.json'), 'utf8').catch(() => '');
reportToParent({ ms, indexLines: index.split('\n').length - 1 } satisfies HistoryRunningFigures);
