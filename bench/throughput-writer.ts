// The other process of the throughput bench: a sync tool delivering `count` inbound notes at once, each
// written atomically into Inbox/. Reports when the first and the last landed (epoch ms, sub-ms precision,
// comparable across processes on one machine).
//
//   node bench/throughput-writer.ts <vault> <count> <agents>
import { performance } from 'node:perf_hooks';
import { reportToParent } from './lib/child.ts';
import { writeAtomically } from './lib/note-writes.ts';

const [root, count, agents] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const epoch = (t: number) => performance.timeOrigin + t;
let firstLand = Number.NaN;
let lastLand = Number.NaN;
for (let i = 0; i < count; i++) {
  const to = `t${String(i % agents).padStart(2, '0')}`;
  const text = `---\ntags: [agent/message/inbound]\nto: ${to}\nfrom: user\n---\nMessage ${i} for ${to}: summarise what changed in the project notes today, briefly.\n`;
  lastLand = writeAtomically(root, `Inbox/m${String(i).padStart(5, '0')}.md`, text);
  if (i === 0) firstLand = lastLand;
}
reportToParent({ firstLand: epoch(firstLand), lastLand: epoch(lastLand) });
