import { checkPolicy } from '../agents/policy.ts';
import { parseDefinition, type FieldProblem } from '../agents/definition.ts';
import { AGENT_MESSAGES_PER_HOUR, MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import { readInbound, type InboundMessage } from '../messages/inbound.ts';
import { checkGroup } from './callbacks.ts';
import { isoLocal } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { FrontmatterError, parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import { icloudOriginal, isNamedConflictCopy } from '../vault/paths.ts';
import { isInFolders } from '../vault/template-folders.ts';
import { targetToPath, wikilink } from '../vault/links.ts';
import { roleOf } from '../vault/tags.ts';
import { mightBeScriptoriumNote } from '../vault/scan.ts';
import type { DaemonContext, NoteIndex } from './context.ts';
import { markError, runMessage, type TakenDirectly } from './run-message.ts';

/**
 * A note changed on disk (or was found at start): decide what it is and act. Never throws: a problem
 * with one note is reported on that note and in the log, and the daemon goes on with the others.
 */
export async function handleNote(
  ctx: DaemonContext,
  index: NoteIndex,
  vaultPath: string,
  options: { ignoreOwnWrite?: boolean; raw?: string } = {},
): Promise<'definition' | 'other'> {
  // A symbolic link may point outside the vault: it is not read, and never written through. (Text read
  // already, by the start-up read, is a plain file's.)
  if (options.raw === undefined && (await ctx.store.isSymlink(vaultPath))) {
    ctx.logger.warn('symbolic link ignored', { note: vaultPath });
    return forget(ctx, index, vaultPath);
  }
  const raw = options.raw ?? (await ctx.store.readIfExists(vaultPath));
  if (raw === null) return forget(ctx, index, vaultPath, 'deleted');
  if (!options.ignoreOwnWrite && ctx.store.ownWrites.isOwn(vaultPath, raw)) return 'other';
  if (isInFolders(vaultPath, ctx.templateFolders)) return forget(ctx, index, vaultPath);
  // Cheap test before any YAML: a Scriptorium note has frontmatter that mentions an agent/ tag.
  if (!mightBeScriptoriumNote(raw)) {
    return forget(ctx, index, vaultPath);
  }
  let data: FrontmatterData;
  let body: string;
  try {
    ({ data, body } = parseFrontmatter(raw));
  } catch (error) {
    const reason = error instanceof FrontmatterError ? error.message : errorMessage(error);
    ctx.logger.warn('note has unreadable frontmatter', { note: vaultPath, error: reason });
    return forget(ctx, index, vaultPath);
  }
  const role = roleOf(data.tags);
  if (role === null) return forget(ctx, index, vaultPath);
  if (role === 'inbound' || role === 'definition') {
    if (typeof data.error === 'string' && data.error.trim()) ctx.noteErrors.set(vaultPath, data.error);
    else ctx.noteErrors.delete(vaultPath);
  }

  if ((role === 'definition' || role === 'inbound') && (await isConflictCopyOf(ctx, vaultPath, body))) {
    const error = 'this is a sync conflict copy: Scriptorium does not run it. Merge what you need into the original note and delete this copy.';
    ctx.logger.warn('sync conflict copy ignored', { note: vaultPath });
    await setError(ctx, vaultPath, data, error);
    return 'other';
  }

  switch (role) {
    case 'definition':
      index.set(vaultPath, { role });
      await handleDefinition(ctx, vaultPath, data, body);
      return 'definition';
    case 'inbound':
      if (ctx.deferInbound) {
        ctx.deferInbound.push(vaultPath);
        return 'other';
      }
      await handleInbound(ctx, index, vaultPath, data, body);
      return 'other';
    case 'thread':
      index.set(vaultPath, { role });
      ctx.threads.add(vaultPath);
      return 'other';
    case 'outbound':
      index.set(vaultPath, { role });
      // A reply whose webhook was not delivered (cut off by a stop, or set back to pending by the user).
      if (data.notify_status === 'pending') {
        // At start, only once every definition (and so every notify: address) is known.
        if (ctx.deferInbound) ctx.deferInbound.push(vaultPath);
        else ctx.notifier.notify(vaultPath);
      }
      return 'other';
    default:
      index.set(vaultPath, { role });
      return 'other';
  }
}

/**
 * Sync tools' conflict copies. `Name 2.md` is also what a person might call a second note, so it counts
 * as iCloud's copy only when `Name.md` exists with the same body.
 */
async function isConflictCopyOf(ctx: DaemonContext, vaultPath: string, body: string): Promise<boolean> {
  if (isNamedConflictCopy(vaultPath)) return true;
  const original = icloudOriginal(vaultPath);
  if (original === null) return false;
  const raw = await ctx.store.readIfExists(original);
  if (raw === null) return false;
  try {
    return parseFrontmatter(raw).body.trim() === body.trim();
  } catch {
    return false;
  }
}

/** The note is gone, or no longer one of ours: drop what was known of it. */
function forget(ctx: DaemonContext, index: NoteIndex, vaultPath: string, why: 'deleted' | 'changed' = 'changed'): 'definition' | 'other' {
  const previous = index.get(vaultPath);
  index.delete(vaultPath);
  ctx.threads.delete(vaultPath);
  ctx.noteErrors.delete(vaultPath);
  if (previous?.role !== 'definition') return 'other';
  ctx.registry.remove(vaultPath);
  if (why === 'deleted') ctx.logger.info('agent definition removed', { note: vaultPath });
  // It was an agent and no longer reads as one: the agent is gone until the note is fixed.
  else ctx.logger.warn('agent definition no longer readable; agent unavailable', { note: vaultPath });
  return 'definition';
}


async function handleDefinition(ctx: DaemonContext, vaultPath: string, data: FrontmatterData, body: string): Promise<void> {
  const result = parseDefinition(vaultPath, data, body, ctx.root);
  const policyProblems = result.ok ? checkPolicy(result.definition, ctx.config.policy, ctx.root) : [];
  const effective = policyProblems.length > 0 && result.ok ? { ok: false as const, name: result.definition.name, problems: policyProblems } : result;
  const problems: FieldProblem[] = ctx.registry.set(vaultPath, effective);
  if (problems.length > 0) {
    const error = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    ctx.logger.warn('agent definition invalid', { note: vaultPath, error });
    await setError(ctx, vaultPath, data, error);
  } else {
    ctx.logger.info('agent definition loaded', { note: vaultPath, agent: effective.ok ? effective.definition.name : undefined });
    await setError(ctx, vaultPath, data, undefined);
  }
}

/** Write (or clear) a note's `error:` only when it changes, so the write never loops. */
async function setError(ctx: DaemonContext, vaultPath: string, data: FrontmatterData, error: string | undefined): Promise<void> {
  if ((data.error ?? undefined) === error) return;
  if (error === undefined && data.error === undefined) return;
  try {
    await ctx.store.update(vaultPath, { error });
  } catch (writeError) {
    ctx.logger.error('could not write the error onto the note', { note: vaultPath, error, writeError: errorMessage(writeError) });
  }
}

async function handleInbound(
  ctx: DaemonContext,
  index: NoteIndex,
  vaultPath: string,
  data: FrontmatterData,
  body: string,
): Promise<void> {
  const reading = readInbound(vaultPath, data, body);
  index.set(vaultPath, {
    role: 'inbound',
    ...(reading.ok
      ? {
          to: reading.message.to,
          replyTo: reading.message.replyTo?.toLowerCase(),
          group: reading.message.group?.id,
          origin: reading.message.callback && reading.message.originMessage ? targetToPath(reading.message.originMessage) : undefined,
        }
      : {}),
  });
  if (reading.ok && reading.message.status === 'cancelled' && ctx.active.get(vaultPath) === 'running') {
    const cancel = ctx.cancels.get(vaultPath);
    if (cancel && !cancel.signal.aborted) {
      ctx.logger.info('message cancelled while running; stopping its turn', { note: vaultPath });
      cancel.abort();
    }
  }
  if (ctx.active.has(vaultPath)) return;
  if (!reading.ok) {
    if (reading.status === 'draft' || reading.status === 'done' || reading.status === 'error' || reading.status === 'cancelled') return;
    ctx.logger.warn('message invalid', { note: vaultPath, field: reading.field, error: reading.error });
    if (reading.status === null) await setError(ctx, vaultPath, data, reading.error);
    else await markError(ctx, vaultPath, reading.error);
    return;
  }
  const message = reading.message;
  switch (message.status) {
    case 'draft':
    case 'done':
    case 'error':
    case 'cancelled':
      return;
    case 'running':
      // Found running at start: the daemon stopped mid-turn. Re-running could repeat what the turn
      // already did, so the user decides. Seen running later, it is a running note renamed or moved
      // (its turn finds it again when it ends), not one to touch.
      if (ctx.startingUp) {
        await markError(ctx, vaultPath, 'Scriptorium stopped while this message was running, so its reply may be missing. Set status back to ready to run it again.');
      }
      return;
    case 'ready':
    case 'queued':
      break;
  }
  // A note that is all frontmatter is most likely still being typed.
  if (message.body === '') {
    ctx.logger.debug('message has no text yet; waiting', { note: vaultPath });
    return;
  }
  const lookup = ctx.registry.lookup(message.to);
  if (lookup.kind === 'unknown') {
    const known = ctx.registry.names();
    await markError(ctx, vaultPath, `to: no agent named "${message.to}"${known.length ? ` (agents: ${known.join(', ')})` : ' (no agent definitions found in the vault)'}`);
    return;
  }
  if (lookup.kind === 'invalid') {
    await markError(ctx, vaultPath, `the agent "${message.to}" has an invalid definition (${lookup.path}): ${lookup.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}. Fix it, then set this message back to ready.`);
    return;
  }
  const refusal = checkDelegation(ctx, message);
  if (refusal) {
    ctx.logger.warn('message refused', { note: vaultPath, error: refusal });
    await markError(ctx, vaultPath, refusal);
    return;
  }
  if (message.group?.deadline) scheduleGroupDeadline(ctx, message.replyTo!.toLowerCase(), message.group.id, message.group.deadline);
  if (!lookup.definition.enabled) {
    // It waits, visibly queued, and runs when the agent is enabled again.
    if (message.status !== 'queued') {
      await ctx.store.update(vaultPath, { status: 'queued', queued_at: isoLocal(ctx.clock.now()), error: undefined });
      countSent(ctx, message);
    }
    ctx.logger.info('agent disabled; message waits', { note: vaultPath, agent: message.to });
    return;
  }
  // A message taken by a free lane starts at once: `queued` is not written (nobody could see it, and it
  // would be one more fsynced write before the turn); the `running` write carries these fields instead.
  let taken: TakenDirectly | undefined;
  if (message.status === 'ready') {
    const stamp = {
      queued_at: isoLocal(ctx.clock.now()),
      error: undefined,
      ...(message.replyTo && !message.originMessage ? originStamp(ctx, message.replyTo) : {}),
    };
    if (ctx.lanes.free(message.to)) taken = stamp;
    else await ctx.store.update(vaultPath, { status: 'queued', ...stamp });
    countSent(ctx, message);
  }
  ctx.active.set(vaultPath, 'queued');
  ctx.logger.info('message queued', { note: vaultPath, agent: message.to });
  let outcome: 'done' | 'requeue' = 'done';
  void ctx.lanes
    .add(message.to, async () => {
      ctx.active.set(vaultPath, 'running');
      // From here a `cancelled` saved by the user stops the turn, however early it comes.
      ctx.cancels.set(vaultPath, new AbortController());
      try {
        outcome = await runMessage(ctx, vaultPath, message.to, taken);
      } catch (error) {
        ctx.logger.error('message handling failed', { note: vaultPath, error: errorMessage(error) });
        await markError(ctx, vaultPath, `Scriptorium failed while running this message: ${errorMessage(error)}`);
      } finally {
        ctx.cancels.delete(vaultPath);
      }
    })
    .finally(async () => {
      ctx.active.delete(vaultPath);
      // Re-addressed while it waited: taken in again, into its new agent's lane.
      if (outcome === 'requeue') await handleNote(ctx, ctx.index, vaultPath, { ignoreOwnWrite: true });
    });
}

/**
 * The rules for messages between agents: the depth limit, a known `reply_to`, the sender's `can_message`,
 * and the per-agent rate limit that stops an agent messaging itself or ping-ponging with another.
 * Returns the refusal, in words for the note, or null.
 */
function checkDelegation(ctx: DaemonContext, message: InboundMessage): string | null {
  if (message.delegationDepth > MAX_DELEGATION_DEPTH) {
    return `delegation_depth ${message.delegationDepth} is past the limit of ${MAX_DELEGATION_DEPTH}: the chain of agents messaging agents stops here`;
  }
  if (message.replyTo && ctx.registry.lookup(message.replyTo.toLowerCase()).kind === 'unknown') {
    return `reply_to: no agent named "${message.replyTo}" to call back (agents: ${ctx.registry.names().join(', ')})`;
  }
  if (message.callback) return null;
  const sender = ctx.registry.lookup(message.from.toLowerCase());
  if (sender.kind !== 'ok') return null;
  if (!mayAddress(sender.definition, message.to)) {
    return `${sender.definition.name} may not message ${message.to}: its can_message allows ${sender.definition.canMessage!.join(', ') || 'no agent'}`;
  }
  if (message.status === 'ready' && recentSends(ctx, sender.definition.name) >= AGENT_MESSAGES_PER_HOUR) {
    return `${sender.definition.name} has sent ${AGENT_MESSAGES_PER_HOUR} messages to agents in the last hour, the limit that stops agents looping; this one was not run. Set it back to ready later to run it.`;
  }
  return null;
}

const HOUR_MS = 3_600_000;

function recentSends(ctx: DaemonContext, agent: string): number {
  const since = ctx.clock.now().getTime() - HOUR_MS;
  const times = (ctx.sentByAgent.get(agent) ?? []).filter((t) => t > since);
  ctx.sentByAgent.set(agent, times);
  return times.length;
}

function countSent(ctx: DaemonContext, message: InboundMessage): void {
  if (message.callback) return;
  const sender = ctx.registry.lookup(message.from.toLowerCase());
  if (sender.kind !== 'ok') return;
  const times = ctx.sentByAgent.get(sender.definition.name) ?? [];
  times.push(ctx.clock.now().getTime());
  ctx.sentByAgent.set(sender.definition.name, times);
}

/** A fan-in group's deadline: when it passes, the group reports what it has. */
function scheduleGroupDeadline(ctx: DaemonContext, replyTo: string, group: string, deadline: Date): void {
  const key = `${replyTo}/${group}`;
  if (ctx.groupTimers.has(key)) return;
  const delay = Math.max(0, deadline.getTime() - ctx.clock.now().getTime());
  // setTimeout holds at most ~24.8 days; a deadline further out is checked again then.
  const timer = setTimeout(() => {
    ctx.groupTimers.delete(key);
    void checkGroup(ctx, replyTo, group);
  }, Math.min(delay, 2_000_000_000));
  timer.unref();
  ctx.groupTimers.set(key, timer);
}

/**
 * A delegation note an agent wrote with its own file tools names no origin; it was written during the
 * delegating agent's running turn, so that turn's message is its origin (where the final answer goes).
 */
function originStamp(ctx: DaemonContext, replyTo: string): { origin_message?: string } {
  for (const [path, state] of ctx.active) {
    const entry = ctx.index.get(path);
    if (state === 'running' && entry?.to === replyTo.toLowerCase()) return { origin_message: wikilink(entry.origin ?? path) };
  }
  return {};
}
