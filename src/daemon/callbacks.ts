import { callbackNote, MAX_DELEGATION_DEPTH, type CallbackItem } from '../messages/delegation.ts';
import { decideGroup, type GroupMember } from '../messages/fan-in.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { readMessageNote } from './read-message.ts';
import { errorMessage } from '../util/errors.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath, wikilink } from '../vault/links.ts';
import type { DaemonContext } from './context.ts';

/** Group checks run one at a time per group: two members finishing together must not both fire it. */
const groupChains = new WeakMap<DaemonContext, Map<string, Promise<void>>>();

/**
 * A message has ended (`done` or `error`, however it got there). If it was delegated (`reply_to`), the
 * delegating agent is called back: on success and on failure alike, since an orchestrator waiting on a
 * failure nobody reported would wait forever. Idempotent: the `callback_note` stamp says it was done.
 */
export async function finishDelegated(ctx: DaemonContext, messagePath: string): Promise<void> {
  try {
    const note = await readMessage(ctx, messagePath);
    if (!note || !note.message.replyTo || note.message.callback) return;
    if (note.data.callback_note !== undefined || note.data.callback_skipped !== undefined) return;
    // Cancelled counts as ended (not ok): an orchestrator waiting on it must hear.
    if (note.message.status !== 'done' && note.message.status !== 'error' && note.message.status !== 'cancelled') return;
    // Refused for naming no agent: there is nobody to call back (the refusal is on the note).
    if (ctx.registry.lookup(note.message.replyTo.toLowerCase()).kind === 'unknown') return;
    if (note.message.delegationDepth >= MAX_DELEGATION_DEPTH) {
      const why = `no callback to ${note.message.replyTo}: delegation depth ${note.message.delegationDepth} reached the limit of ${MAX_DELEGATION_DEPTH}`;
      ctx.logger.warn('callback not delivered: depth limit', { note: messagePath, replyTo: note.message.replyTo });
      await ctx.store.update(messagePath, { callback_skipped: why });
      return;
    }
    if (note.message.group) {
      await checkGroup(ctx, note.message.replyTo, note.message.group.id);
      return;
    }
    const item = await callbackItem(ctx, note.message, note.data);
    await writeCallback(ctx, note.message.replyTo, note.message.delegationDepth + 1, [item], undefined);
  } catch (error) {
    ctx.logger.error('callback failed', { note: messagePath, error: errorMessage(error) });
  }
}

/** Look at a fan-in group now (a member finished, or its deadline passed); fire its callback if due. */
export function checkGroup(ctx: DaemonContext, replyTo: string, group: string): Promise<void> {
  let chains = groupChains.get(ctx);
  if (!chains) groupChains.set(ctx, (chains = new Map()));
  const key = `${replyTo}/${group}`;
  const next = (chains.get(key) ?? Promise.resolve()).then(() => fireIfDue(ctx, replyTo, group)).catch((error) => {
    ctx.logger.error('fan-in check failed', { group: key, error: errorMessage(error) });
  });
  chains.set(key, next);
  return next;
}

async function fireIfDue(ctx: DaemonContext, replyTo: string, group: string): Promise<void> {
  const paths = [...ctx.index].filter(([, e]) => e.replyTo === replyTo && e.group === group).map(([p]) => p);
  // This round: members not yet reported (a group id used again later starts a new round).
  const notes = (await Promise.all(paths.map((p) => readMessage(ctx, p)))).filter((n): n is NonNullable<typeof n> => n !== null && n.data.callback_note === undefined);
  const members: GroupMember[] = notes.map(({ message, data }) => ({
    path: message.path,
    finished: ended(message.status),
    ok: message.status === 'done',
    reported: data.callback_note !== undefined,
    size: message.group?.size ?? 1,
    deadline: message.group?.deadline,
  }));
  const decision = decideGroup(members, ctx.clock.now());
  if (!decision.fire) return;
  const items: CallbackItem[] = [];
  for (const { message, data } of notes) {
    const finished = ended(message.status);
    items.push(finished ? await callbackItem(ctx, message, data) : { agent: message.to, ok: false, pending: true, correlationId: message.correlationId, messagePath: message.path, threadPath: undefined, replyPath: undefined, text: '' });
  }
  const depth = Math.max(...notes.map((n) => n.message.delegationDepth)) + 1;
  const size = Math.max(...members.map((m) => m.size));
  ctx.logger.info('fan-in group complete', { group, replyTo, why: decision.why, finished: members.filter((m) => m.finished).length, size });
  await writeCallback(ctx, replyTo, depth, items, { id: group, size, why: decision.why });
  clearTimeout(ctx.groupTimers.get(`${replyTo}/${group}`));
  ctx.groupTimers.delete(`${replyTo}/${group}`);
}

async function writeCallback(
  ctx: DaemonContext,
  to: string,
  depth: number,
  items: CallbackItem[],
  group: { id: string; size: number; why: 'complete' | 'failed' | 'deadline' } | undefined,
): Promise<void> {
  const { dir, base, content } = callbackNote({ to, depth, at: ctx.clock.now(), items, ...(group ? { group } : {}) });
  // A callback is a message the daemon must run: written so the watcher wakes on it.
  const callbackPath = await ctx.store.create(dir, base, content, { wake: true });
  ctx.logger.info('callback written', { note: callbackPath, to, items: items.length });
  // Each delegated message and its reply link on to the callback: the chain reads forward in Obsidian.
  // Members still running are stamped too (on disk: the group has reported, also after a restart);
  // NoteStore.update redoes its edit if their own turn writes the note at the same moment.
  for (const item of items) {
    await ctx.store.update(item.messagePath, { callback_note: wikilink(callbackPath) });
    if (item.replyPath) await ctx.store.update(item.replyPath, { callback_note: wikilink(callbackPath) });
  }
}

async function callbackItem(ctx: DaemonContext, message: InboundMessage, data: FrontmatterData): Promise<CallbackItem> {
  const replyTarget = linkTarget(data.reply);
  const replyPath = replyTarget ? targetToPath(replyTarget) : undefined;
  const threadTarget = linkTarget(data.thread);
  let text = typeof data.error === 'string' ? data.error : '';
  if (message.status === 'done' && replyPath) {
    const raw = await ctx.store.readIfExists(replyPath);
    text = raw ? parseFrontmatter(raw).body : '(the reply note is missing)';
  }
  return {
    agent: message.to,
    ok: message.status === 'done',
    correlationId: message.correlationId,
    messagePath: message.path,
    threadPath: threadTarget ? targetToPath(threadTarget) : undefined,
    replyPath,
    text: text || (message.status === 'done' ? '(empty reply)' : 'The message failed.'),
    originMessage: message.originMessage ? targetToPath(message.originMessage) : undefined,
  };
}

const readMessage = (ctx: DaemonContext, path: string) => readMessageNote(ctx.store, path);

/** A delegated message that will not run (again) by itself. */
function ended(status: string): boolean {
  return status === 'done' || status === 'error' || status === 'cancelled';
}
