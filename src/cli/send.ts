import { parseArgs } from 'node:util';
import { readStatus as readDaemonStatus } from '../state/status-file.ts';
import { lockHolder } from '../state/lock.ts';
import { inboundBaseName, newInboundNote } from '../messages/new-message.ts';
import { parseDuration } from '../agents/definition.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath } from '../vault/links.ts';
import { NoteStore } from '../vault/note-store.ts';
import { storageProblem } from '../vault/write-health.ts';
import { err, out, UsageError } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const SEND_HELP = `scriptorium send <agent> <message...> [options]

Write an inbound message note for an agent (into Inbox/).

Options:
  --vault DIR       the vault (default: $SCRIPTORIUM_VAULT or the current folder)
  --from NAME       the sender (default user)
  --wait            show progress and print the reply when it lands
  --timeout T       with --wait: give up after T (default 30m)`;

export async function sendCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      vault: { type: 'string' },
      from: { type: 'string' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
    },
  });
  const [agent, ...words] = positionals;
  if (!agent || words.length === 0) throw new UsageError('send needs an agent and a message: scriptorium send researcher "What changed?"');
  const timeoutMs = parseDuration(values.timeout ?? '30m');
  if (timeoutMs === null) throw new UsageError(`--timeout expects a duration such as 90s or 10m, got "${values.timeout}"`);
  const vault = resolveVault(values.vault);
  const store = new NoteStore(vault);

  const message = { to: agent.toLowerCase(), from: values.from ?? 'user', body: words.join(' '), at: new Date() };
  const { dir, base } = inboundBaseName(message);
  let notePath: string;
  try {
    notePath = await store.create(dir, base, newInboundNote(message));
  } catch (error) {
    // A read-only or full vault is the user's to fix: one sentence, not a stack trace.
    const problem = storageProblem(vault, error);
    if (problem === undefined) throw error;
    err(`scriptorium send: ${problem}`);
    return 1;
  }
  // Said once the note is there: "the message will run when one starts" would be wrong about one never written.
  const daemonPid = await lockHolder(vault);
  const status = await readDaemonStatus(vault);
  if (daemonPid === null) err(`Note: no Scriptorium daemon is running on ${vault}; the message will run when one starts (scriptorium start).`);
  else if (status && !status.agents.some((a) => a.name === agent.toLowerCase())) {
    err(`Note: the running daemon knows no agent named "${agent}" (agents: ${status.agents.map((a) => a.name).join(', ') || 'none'}).`);
  }
  out(notePath);
  if (!values.wait) return 0;
  return waitForReply(store, notePath, timeoutMs);
}

/** Poll the message note until it is done or in error; print the reply (stdout) or the error (stderr). */
async function waitForReply(store: NoteStore, notePath: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let last = '';
  let frame = 0;
  for (;;) {
    const raw = await store.readIfExists(notePath);
    if (raw === null) {
      err(`${notePath} was deleted.`);
      return 1;
    }
    let data: Record<string, unknown> = {};
    try {
      data = parseFrontmatter(raw).data;
    } catch {
      // Caught mid-edit: read again next tick.
    }
    const status = typeof data.status === 'string' ? data.status : 'ready';
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (status === 'done' || status === 'error' || status === 'cancelled') {
      if (tty) process.stderr.write('\r\x1b[K');
      const replyPath = linkTarget(data.reply);
      const replyRaw = replyPath ? await store.readIfExists(targetToPath(replyPath)) : null;
      const replyBody = replyRaw ? parseFrontmatter(replyRaw).body.trim() : '';
      if (status === 'done') {
        out(replyBody);
        return 0;
      }
      err(status === 'cancelled' ? 'cancelled: the message was set to cancelled' : `error: ${typeof data.error === 'string' ? data.error : 'the turn failed'}`);
      return 1;
    }
    if (tty) {
      process.stderr.write(`\r\x1b[K${spinner[frame++ % spinner.length]} ${status} (${elapsed} s)`);
    } else if (status !== last) {
      err(`${status}`);
    }
    last = status;
    if (Date.now() - started > timeoutMs) {
      if (tty) process.stderr.write('\n');
      err(`Gave up waiting after ${elapsed} s; the message is still ${status}: ${notePath}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
