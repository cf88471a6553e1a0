import { parseArgs } from 'node:util';
import { lockHolder } from '../state/lock.ts';
import { readStatus } from '../state/status-file.ts';
import { isoLocal } from '../util/clock.ts';
import { parseFrontmatter, updateFrontmatterText } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath } from '../vault/links.ts';
import { NoteStore } from '../vault/note-store.ts';
import { slugify } from '../vault/paths.ts';
import { roleOf } from '../vault/tags.ts';
import { singleThreadPath } from '../threads/thread-note.ts';
import { err, out, UsageError } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const RESET_HELP = `scriptorium reset <agent> [--vault DIR] [--force]
scriptorium reset --thread <thread note> [--vault DIR] [--force]

Start a fresh Claude session at the agent's next turn: the thread note keeps its history, gets a line
saying the conversation was reset, and its session is cleared. For a multi-threaded agent, name the
thread note to reset with --thread.

Options:
  --vault DIR   the vault (default: $SCRIPTORIUM_VAULT or the current folder)
  --thread NOTE reset this thread note (a path such as Threads/researcher.md, or a [[link]])
  --force       reset even while the agent is working (its running turn ends on the old session; the
                next one starts fresh)`;

export async function resetCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { vault: { type: 'string' }, thread: { type: 'string' }, force: { type: 'boolean' } },
  });
  const [agentArg] = positionals;
  if (!agentArg && !values.thread) throw new UsageError('reset needs an agent (or --thread <note>): scriptorium reset researcher');
  const vault = resolveVault(values.vault);
  const store = new NoteStore(vault);
  const threadPath = values.thread ? targetToPath(linkTarget(values.thread) ?? values.thread) : singleThreadPath(slugify(agentArg!));

  const raw = await store.readIfExists(threadPath);
  if (raw === null) {
    err(values.thread ? `${threadPath} does not exist.` : `${agentArg} has no conversation yet (${threadPath} does not exist): its next turn starts a fresh session anyway.`);
    return values.thread ? 1 : 0;
  }
  let data: Record<string, unknown>;
  try {
    data = parseFrontmatter(raw).data;
  } catch (error) {
    err(`${threadPath}: its frontmatter cannot be read (${(error as Error).message}); fix it first.`);
    return 1;
  }
  if (roleOf(data.tags) !== 'thread') {
    err(`${threadPath} is not a thread note (no agent/thread tag).`);
    return 1;
  }
  const agent = typeof data.agent === 'string' ? data.agent : (agentArg ?? 'the agent');
  // The thread says `working` from a turn's start to its end, written beside the turn's start; status.json
  // says so too, a moment later: either counts. A thread left `working` by a crashed daemon is not busy.
  if (!values.force && (await lockHolder(vault)) !== null && (data.status === 'working' || (await agentWorking(vault, agent, data)))) {
    err(`${agent} is working right now; reset between its turns, or add --force (the running turn ends on the old session, the next one starts fresh).`);
    return 1;
  }
  const session = typeof data.session === 'string' ? data.session.trim() : '';
  if (!session) {
    out(`${threadPath} has no session: the next turn of ${agent} starts a fresh one already.`);
    return 0;
  }
  const at = isoLocal(new Date());
  const updated = updateFrontmatterText(raw, { session: '', reset_at: at });
  const marker = `\n---\n\n*Conversation reset on ${at} (\`scriptorium reset\`): the next turn starts a fresh Claude session, without the turns above. The old session was ${session}.*\n`;
  await store.write(threadPath, (updated.endsWith('\n') ? updated : updated + '\n') + marker);
  out(`Reset ${agent}: the next turn starts a fresh session (${threadPath} keeps its history).`);
  return 0;
}

/** The daemon's status file says a single-threaded agent's turn runs (its one thread is this one). */
async function agentWorking(vault: string, agent: string, data: Record<string, unknown>): Promise<boolean> {
  if (data.mode === 'multi-threaded') return false;
  const status = await readStatus(vault);
  return status?.agents.some((a) => a.name === agent && a.state === 'working') ?? false;
}
