// The other process of the backlog bench: a sync tool delivering `count` inbound notes at once for
// `agents` agents, each written atomically into Inbox/, with a body of about `bodyBytes` bytes.
//
//   node bench/growth-backlog-writer.ts <vault> <count> <agents> <bodyBytes>
import { reportToParent } from './lib/child.ts';
import { writeAtomically } from './lib/note-writes.ts';

const [root, count, agents, bodyBytes] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const line = 'Summarise what changed in the project notes today, briefly, and list the open questions.\n';
const filler = line.repeat(Math.ceil(bodyBytes / line.length)).slice(0, Math.max(0, bodyBytes - 40));
for (let i = 0; i < count; i++) {
  const to = `t${String(i % agents).padStart(2, '0')}`;
  writeAtomically(root, `Inbox/m${String(i).padStart(5, '0')}.md`, `---\ntags: [agent/message/inbound]\nto: ${to}\nfrom: user\n---\nMessage ${i} for ${to}.\n${filler}`);
}
reportToParent({ written: count });
