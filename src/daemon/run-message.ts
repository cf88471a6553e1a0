import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AgentDefinition } from '../agents/definition.ts';
import { readInbound, type InboundMessage } from '../messages/inbound.ts';
import { outboundBaseName, outboundNote } from '../messages/outbound.ts';
import { buildPrompt } from '../messages/prompt.ts';
import { preApproved } from '../runner/claude-args.ts';
import type { TurnRequest, TurnResult } from '../runner/types.ts';
import {
  newThreadBaseName,
  newThreadNote,
  readThreadState,
  renderTurn,
  singleThreadPath,
  threadFieldsAfterTurn,
  type ThreadState,
} from '../threads/thread-note.ts';
import { isoLocal } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { parseFrontmatter, updateFrontmatterText } from '../vault/frontmatter.ts';
import { linkTarget, targetToPath, wikilink } from '../vault/links.ts';
import { roleOf } from '../vault/tags.ts';
import { isIgnoredPath } from '../vault/paths.ts';
import { isInFolders } from '../vault/template-folders.ts';
import { finishDelegated } from './callbacks.ts';
import type { ResultRecord } from './journal.ts';
import { budgetHold } from './ledger.ts';
import { MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import { MCP_TOOL_NAMES } from '../mcp/names.ts';
import { SHELL_TOOLS } from '../agents/policy.ts';
import { delegateMcpConfig } from '../mcp/launch.ts';
import type { TurnLogEntry } from './state-file.ts';
import type { DaemonContext } from './context.ts';

/**
 * One message, start to finish: the thread is found or started, the turn runs, and the reply, the thread
 * and the message note are written back, in that order (so a message marked done always has its reply).
 * Every way it can fail ends in `status: error` with a sentence on the note, a failure note and the
 * thread's status, never in silence.
 */
/** The fields a `queued` write would have set, for a message a free lane took at once (see handleInbound). */
export type TakenDirectly = { queued_at: string; error: undefined; origin_message?: string };

export async function runMessage(ctx: DaemonContext, messagePath: string, lane: string, taken?: TakenDirectly): Promise<'done' | 'requeue'> {
  const log = ctx.logger.child({ note: messagePath });
  // Renamed into place a moment ago: its grace may still be running (Daemon.#onNote).
  const grace = ctx.graces.get(messagePath);
  // Taken at once, no `queued` write (whose read waits for the note to be quiet) came first: this read
  // waits instead, so a note still being written in place is never run half-written.
  const raw = taken ? await ctx.store.readStable(messagePath) : await ctx.store.readIfExists(messagePath);
  if (raw === null) {
    log.info('message removed before it ran');
    return 'done';
  }
  let message: InboundMessage;
  try {
    const parsed = parseFrontmatter(raw);
    const reading = readInbound(messagePath, parsed.data, parsed.body);
    if (!reading.ok) throw new Error(reading.error);
    message = reading.message;
  } catch (error) {
    log.warn('message unreadable when its turn came', { error: errorMessage(error) });
    await markError(ctx, messagePath, errorMessage(error));
    return 'done';
  }
  // The user may have cancelled or reset it while it waited. (Taken at once, it is still `ready`.)
  if (message.status !== 'queued' && !(taken && message.status === 'ready')) {
    log.info('message no longer queued; skipped', { status: message.status });
    // A delegated message cancelled before it ran still answers whoever waits on it.
    if (message.status === 'cancelled') await finishDelegated(ctx, messagePath);
    return 'done';
  }
  // Re-addressed while it waited: it belongs in the other agent's lane (one turn per agent at a time).
  if (message.to !== lane) {
    log.info('message re-addressed while queued; moving it to its new agent', { from: lane, to: message.to });
    return 'requeue';
  }
  const lookup = ctx.registry.lookup(message.to);
  if (lookup.kind !== 'ok') {
    await markError(ctx, messagePath, lookup.kind === 'unknown' ? `no agent named "${message.to}" any more` : `the definition of "${message.to}" (${lookup.path}) has errors; fix it, then set this message back to ready`);
    return 'done';
  }
  const agent = lookup.definition;
  // Waiting after all (below): a message taken at once now says `queued`, so it is looked at again.
  const waiting = taken ? { status: 'queued', ...taken } : {};
  if (!agent.enabled) {
    // Disabled after it was queued: it keeps waiting, and runs when the agent is enabled again.
    if (taken) await ctx.store.update(messagePath, waiting);
    log.info('agent disabled; message waits', { agent: agent.name });
    return 'done';
  }
  // Over its daily budget or its runs per hour: the message waits, visibly, and is looked at again
  // when the day or the hour has moved on.
  const hold = budgetHold(ctx.ledger, agent, ctx.clock.now());
  if (hold) {
    ctx.holds.set(agent.name, hold.reason);
    if (message.waitingFor !== hold.reason || taken) await ctx.store.update(messagePath, { ...waiting, waiting_for: hold.reason });
    ctx.recheckAt(hold.until);
    log.info('message waits: agent over a limit', { agent: agent.name, reason: hold.reason });
    return 'done';
  }
  ctx.holds.delete(agent.name);
  if (message.retryAt && message.retryAt > ctx.clock.now()) {
    // Backing off after a transient failure: its retry time is on the note.
    if (taken) await ctx.store.update(messagePath, waiting);
    ctx.recheckAt(message.retryAt);
    return 'done';
  }

  let threadPath: string;
  let thread: ThreadState;
  try {
    ({ threadPath, thread } = await openThread(ctx, agent, message));
  } catch (error) {
    await failWithoutTurn(ctx, message, agent, errorMessage(error));
    return 'done';
  }

  const startedAt = ctx.clock.now();
  await ctx.journal.append({ t: 'started', msg: messagePath, agent: agent.name, thread: threadPath, startedAt: isoLocal(startedAt), at: isoLocal(startedAt) });
  // The notes say `running` and `working` while the turn starts, not before it: the journal's `started`
  // is what recovery goes by, and these two fsynced writes would otherwise delay every turn by ~3 ms.
  // (Updates re-read the note and keep the user's other fields. A `cancelled` saved in the instant
  // between the read above and this write is overwritten, as it was when this write came first.)
  const marked = Promise.all([
    ctx.store.update(messagePath, { ...taken, status: 'running', started_at: isoLocal(startedAt), thread: wikilink(threadPath), waiting_for: undefined, retry_at: undefined }),
    ctx.store.update(threadPath, { status: 'working' }),
  ]).then(
    () => undefined,
    (error) => log.warn('could not mark the message running', { error: errorMessage(error) }),
  );
  ctx.events.emit({ type: 'turn-started', data: { agent: agent.name, message: messagePath, thread: threadPath, at: isoLocal(startedAt) } });
  log.debug('turn started', { agent: agent.name, thread: threadPath, resume: thread.session !== undefined });

  const notices: string[] = [];
  const cancel = ctx.cancels.get(messagePath) ?? new AbortController();
  const first = turnRequest(ctx, agent, message, threadPath, thread, startedAt);
  let asRun = message;
  // The process starts now; its prompt follows when the grace is over, read again if the note's writer
  // appended to it meanwhile (the same message, to the same agent: otherwise it runs as it was taken).
  const promptLater = (grace ?? Promise.resolve(false)).then(async (changed) => {
    if (!changed) return first.prompt;
    const again = await readMessageAgain(ctx, messagePath, agent.name);
    if (!again) return first.prompt;
    log.info('message written to just after it arrived; the turn has its whole text');
    asRun = again;
    return turnRequest(ctx, agent, again, threadPath, thread, startedAt).prompt;
  });
  const request = { ...first, promptLater, signal: AbortSignal.any([ctx.stopSignal, cancel.signal]) };
  let result = await ctx.runner(request);
  if (!result.ok && result.errorKind === 'unknown_session' && request.resume) {
    // Claude Code lost the session (its files were removed, or a different HOME): start over once, and
    // say so in the thread, since the model no longer has the earlier turns.
    const fresh = randomUUID();
    notices.push(`Claude Code had no record of session ${request.sessionId}; this turn started a fresh session (${fresh}) without the earlier context.`);
    log.warn('session not found; starting a fresh one', { session: request.sessionId, fresh });
    result = await ctx.runner({ ...request, sessionId: fresh, resume: false });
  } else if (!result.ok && result.errorKind === 'session_in_use' && !request.resume) {
    result = await ctx.runner({ ...request, sessionId: randomUUID() });
  }
  await marked;
  if (cancel.signal.aborted && !result.ok && result.errorKind === 'aborted') {
    result = { ...result, errorKind: 'cancelled', error: 'Cancelled: this message was set to cancelled while its turn ran, so the turn was stopped.' };
  }
  await promptLater;
  await recordTurn(ctx, { agent, message: asRun, threadPath, thread, result, notices, sessionTried: request.sessionId, startedAt: isoLocal(startedAt) });
  return 'done';
}

/** The message as it is on disk now, if it is still a readable message to `agent`; null otherwise. */
async function readMessageAgain(ctx: DaemonContext, messagePath: string, agent: string): Promise<InboundMessage | null> {
  const raw = await ctx.store.readStable(messagePath);
  if (raw === null) return null;
  try {
    const parsed = parseFrontmatter(raw);
    const reading = readInbound(messagePath, parsed.data, parsed.body);
    return reading.ok && reading.message.to === agent ? reading.message : null;
  } catch {
    return null;
  }
}

function turnRequest(
  ctx: DaemonContext,
  agent: AgentDefinition,
  message: InboundMessage,
  threadPath: string,
  thread: ThreadState,
  at: Date,
): TurnRequest {
  const resume = thread.session !== undefined;
  // The agents this one may hand work to; with none (or at the depth limit) no delegation tools are served.
  const directory =
    message.delegationDepth + 1 > MAX_DELEGATION_DEPTH
      ? []
      : ctx.registry
          .definitions()
          .filter((d) => d.name !== agent.name && d.enabled && mayAddress(agent, d.name))
          // One line each: the directory travels in the turn's arguments.
          .map((d) => ({ name: d.name, description: d.description ? oneLine(d.description, 200) : undefined }));
  const mcpConfig = directory.length > 0 ? delegateMcpConfig(ctx.root, { agent: agent.name, depth: message.delegationDepth, may: directory, message: originOf(message) }) : undefined;
  return {
    agent: agent.name,
    prompt: buildPrompt(message, {
      threadPath,
      at,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      senderIsAgent: message.from !== 'user' && ctx.registry.lookup(message.from.toLowerCase()).kind !== 'unknown',
      self: agent.name,
      directory,
      delegateTool: mcpConfig !== undefined,
    }),
    systemPrompt: agent.prompt,
    sessionId: thread.session ?? randomUUID(),
    resume,
    cwd: agent.workspace,
    model: agent.model,
    tools: agent.tools,
    allowedTools: [...preApproved(agent.tools), ...(mcpConfig ? MCP_TOOL_NAMES : [])],
    mcpConfig,
    // Deny rules win in every permission mode: without allow_shell no shell runs, whatever `tools` says
    // (`tools: default` would otherwise offer Bash).
    disallowedTools: [...agent.disallowedTools, ...protectedPaths(ctx), ...(ctx.config.policy.allowShell ? [] : SHELL_TOOLS)],
    permissionMode: agent.permissionMode,
    maxTurns: agent.maxTurns,
    maxBudgetUsd: agent.maxBudgetUsd,
    timeoutMs: agent.timeoutMs,
    addDirs: agent.workspace === ctx.root ? [] : [ctx.root],
    signal: ctx.stopSignal,
    onProgress: (p) => {
      if (p.type === 'started' && p.pid) {
        ctx.journal.append({ t: 'spawned', msg: message.path, pid: p.pid, at: isoLocal(ctx.clock.now()) }).catch((error) => {
          ctx.logger.warn('could not journal the turn\'s process', { note: message.path, error: errorMessage(error) });
        });
      }
      const at = isoLocal(ctx.clock.now());
      if (p.type === 'tool') ctx.events.emit({ type: 'tool', data: { agent: agent.name, message: message.path, tool: p.name, at } });
      if (p.type === 'retry') {
        ctx.events.emit({ type: 'api-retry', data: { agent: agent.name, message: message.path, attempt: p.attempt, maxRetries: p.maxRetries, error: p.error, at } });
      }
    },
  };
}

/**
 * An agent must not widen its own powers or lift a halt by writing a note: edits to definition notes,
 * HALT.md and dot-folders are denied (absolute paths, Claude Code's `//` form).
 */
function protectedPaths(ctx: DaemonContext): string[] {
  const abs = (p: string) => `Edit(/${path.join(ctx.root, p).split(path.sep).join('/')})`;
  return [...ctx.registry.paths().map(abs), abs('HALT.md'), abs('.*/**'), abs('**/.*/**')];
}

async function openThread(
  ctx: DaemonContext,
  agent: AgentDefinition,
  message: InboundMessage,
): Promise<{ threadPath: string; thread: ThreadState }> {
  const now = ctx.clock.now();
  let threadPath: string;
  if (agent.mode === 'single-threaded') {
    threadPath = singleThreadPath(agent.name);
  } else if (message.thread) {
    threadPath = resolveThread(ctx, message.thread);
  } else {
    const { dir, base } = newThreadBaseName(agent.name, message.path.split('/').pop()!.replace(/\.md$/i, ''), now);
    threadPath = await ctx.store.create(dir, base, newThreadNote(agent.name, agent.mode, now));
    ctx.threads.add(threadPath);
    return { threadPath, thread: readThreadState({}) };
  }
  const { raw } = await readThreadNote(ctx, threadPath);
  if (raw === null) {
    await ctx.store.write(threadPath, newThreadNote(agent.name, agent.mode, now));
    ctx.threads.add(threadPath);
    return { threadPath, thread: readThreadState({}) };
  }
  let data;
  try {
    data = parseFrontmatter(raw).data;
  } catch (error) {
    throw new Error(`the thread note ${threadPath} cannot be read (${errorMessage(error)}); fix its frontmatter or delete it to start a new conversation`);
  }
  // Only a thread note of this very agent is continued: a link to any other note (an agent definition,
  // a person's note) must never have turns appended to it.
  if (roleOf(data.tags) !== 'thread') {
    throw new Error(`${threadPath} is not a thread note (it has no agent/thread tag), so no conversation is appended to it${agent.mode === 'single-threaded' ? `; move it away to let ${agent.name} start its thread` : ''}`);
  }
  if (data.agent !== agent.name) {
    throw new Error(`thread: ${threadPath} belongs to the agent "${String(data.agent)}", not "${agent.name}"`);
  }
  return { threadPath, thread: readThreadState(data) };
}

function resolveThread(ctx: DaemonContext, target: string): string {
  const direct = targetToPath(target);
  if (direct.split('/').includes('..') || direct.startsWith('/') || /^[a-z]:/i.test(direct)) {
    throw new Error(`thread: "[[${target.slice(0, 80)}]]" is outside the vault`);
  }
  // Never into a dot-folder (.obsidian, .trash) or a template folder, whatever the link says.
  if (isIgnoredPath(direct) || isInFolders(direct, ctx.templateFolders)) {
    throw new Error(`thread: "[[${target.slice(0, 80)}]]" points into a hidden or template folder; threads live in the vault's ordinary folders`);
  }
  if (ctx.store.exists(direct)) return direct;
  const base = direct.split('/').pop()!.toLowerCase();
  const match = [...ctx.threads].find((p) => p.split('/').pop()!.toLowerCase() === base);
  if (match) return match;
  throw new Error(`thread: "[[${target.slice(0, 80)}]]" does not match any thread note`);
}

interface Finished {
  agent: AgentDefinition;
  message: InboundMessage;
  threadPath: string;
  thread: ThreadState;
  result: TurnResult;
  notices: string[];
  sessionTried: string;
  startedAt: string;
}

async function recordTurn(ctx: DaemonContext, done: Finished): Promise<void> {
  const { agent, message, threadPath, result } = done;
  const at = ctx.clock.now();
  const failedAttempts = (message.retryAttempt ?? 0) + 1;
  if (!result.ok && result.transient && failedAttempts < ctx.config.maxAttempts) {
    await scheduleRetry(ctx, done, failedAttempts);
    return;
  }
  const text = result.ok
    ? (result.text ?? '')
    : `${result.error ?? 'The turn failed.'}${result.transient && failedAttempts > 1 ? ` (after ${failedAttempts} attempts)` : ''}`;
  const { dir, base } = outboundBaseName(agent.name, message.path, at);
  const origin = message.callback && message.originMessage ? targetToPath(message.originMessage) : undefined;
  const record: ResultRecord = {
    t: 'result',
    msg: message.path,
    agent: agent.name,
    mode: agent.mode,
    thread: threadPath,
    // The reply's name is chosen now and journaled, so a replay after a crash writes this very note
    // (or finds it written) and never a second one.
    reply: ctx.store.freePath(dir, base),
    startedAt: done.startedAt,
    at: isoLocal(at),
    ok: result.ok,
    text,
    session: result.sessionId ?? (result.ok ? done.sessionTried : done.thread.session),
    costUsd: result.costUsd,
    usage: result.usage,
    tools: result.tools,
    durationMs: result.durationMs,
    notices: done.notices,
    from: message.from,
    // The answer to a callback goes to whoever asked for the work in the first place.
    to: origin ? await senderOf(ctx, origin, message.from) : message.from,
    body: message.body,
    origin,
    threadBefore: { turnCount: done.thread.turnCount, costUsd: done.thread.costUsd, usage: done.thread.usage, session: done.thread.session },
    errorKind: result.errorKind,
  };
  await ctx.journal.append(record);
  // Logged before the notes are written: whoever sees the message's final status finds the line there.
  const log = ctx.logger.child({ note: record.msg, agent: agent.name });
  if (result.ok) log.debug('turn done', { reply: record.reply, costUsd: result.costUsd, durationMs: result.durationMs });
  else log.warn('turn failed', { kind: result.errorKind, error: result.error, reply: record.reply, stderr: result.stderrTail.slice(-300) || undefined });
  await writeTurnNotes(ctx, record);
}

/**
 * A thread note someone may be saving this instant: read until it reads as a thread note (its tag in
 * parseable frontmatter), a few times over two seconds, before concluding it is not one.
 */
async function readThreadNote(ctx: DaemonContext, threadPath: string): Promise<{ raw: string | null; isThread: boolean }> {
  let raw: string | null = null;
  for (let attempt = 0; attempt < 10; attempt++) {
    raw = await ctx.store.readStable(threadPath);
    if (raw === null) return { raw, isThread: false };
    try {
      if (roleOf(parseFrontmatter(raw).data.tags) === 'thread') return { raw, isThread: true };
    } catch {
      // Unreadable right now: try again.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { raw, isThread: false };
}

/**
 * The thread note as it is now, to append a turn to. It was a thread note when the turn began; if it does
 * not read as one now, someone is most likely saving it this instant (an in-place write caught half-way):
 * read again. Should it still not be one, the turn starts a fresh thread note there, keeping whatever text
 * was in the note below it: nothing is lost, and the frontmatter is never written without its tag.
 */
async function readThreadForUpdate(ctx: DaemonContext, record: ResultRecord, at: Date): Promise<{ raw: string; existing: boolean }> {
  const { raw, isThread } = await readThreadNote(ctx, record.thread);
  if (raw === null) return { raw: newThreadNote(record.agent, record.mode, at), existing: false };
  if (isThread) return { raw, existing: true };
  ctx.logger.warn('thread note no longer reads as a thread; starting it afresh, keeping its text', { note: record.thread });
  return { raw: newThreadNote(record.agent, record.mode, at) + (raw ? `\n${raw}\n` : ''), existing: false };
}

/**
 * Overloaded, rate limited, a network failure: the message waits and runs again later, with backoff
 * (doubling from retry_base, ±20 % jitter so agents that failed together do not retry together). The
 * CLI retries briefly on its own first (CLAUDE_CODE_MAX_RETRIES, 2 by default here); these are the
 * slower retries on top, kept in the journal and on the note so a restart neither loses nor repeats them.
 */
async function scheduleRetry(ctx: DaemonContext, done: Finished, failedAttempts: number): Promise<void> {
  const now = ctx.clock.now();
  const delay = ctx.config.retryBaseMs * 2 ** (failedAttempts - 1) * (0.8 + Math.random() * 0.4);
  const retryAt = new Date(now.getTime() + delay);
  const error = done.result.error ?? 'a temporary failure';
  const waiting = `attempt ${failedAttempts} of ${ctx.config.maxAttempts} failed (${error}); trying again at ${retryAt.toTimeString().slice(0, 8)}`;
  await ctx.journal.append({ t: 'retry', msg: done.message.path, attempt: failedAttempts, retryAt: isoLocal(retryAt), error, at: isoLocal(now) });
  await ctx.store.update(done.message.path, { status: 'queued', retry_at: isoLocal(retryAt), retry_attempt: failedAttempts, waiting_for: waiting });
  await ctx.store.update(done.threadPath, { status: done.thread.turnCount > 0 ? 'ok' : 'working' });
  ctx.logger.warn('transient failure; will retry', { note: done.message.path, attempt: failedAttempts, retryAt: retryAt.toISOString(), error });
  ctx.recheckAt(retryAt);
}

/**
 * The notes of a finished turn, from its journal record: the reply, the thread, the message marked
 * done or error. Every step checks what is already there, so running it again after a crash half-way
 * finishes the job without writing anything twice.
 */
export async function writeTurnNotes(ctx: DaemonContext, record: ResultRecord): Promise<void> {
  const at = new Date(record.at);
  // The reply and the thread are two notes: written side by side, both before the message says done.
  await Promise.all([writeReply(ctx, record, at), writeThreadTurn(ctx, record, at)]);

  // Recorded (turns log, budgets) before the message shows its outcome: whoever sees `done` sees the
  // turn counted. A replay after a crash right here may count it twice; it never loses it.
  const entry: TurnLogEntry = {
    at: record.at,
    agent: record.agent,
    message: record.msg,
    thread: record.thread,
    reply: record.reply,
    ok: record.ok,
    error: record.ok ? undefined : record.text,
    costUsd: record.costUsd,
    durationMs: record.durationMs,
    session: record.session,
  };
  ctx.onTurnFinished(entry);
  // The terminal shows turns from these events (src/cli/progress.ts); the log lines above are the detail.
  // The reply's text travels with the event (cut: `tail` shows its start, the note has all of it).
  ctx.events.emit({ type: 'turn-finished', data: { ...entry, text: ctx.store.redact(record.text.slice(0, 2000)) } });
  // Cancelled by the user mid-turn: it stays `cancelled` (what they asked for), with the reply saying so.
  const cancelled = record.errorKind === 'cancelled';
  const finalFields = {
    status: record.ok ? 'done' : cancelled ? 'cancelled' : 'error',
    finished_at: record.at,
    reply: wikilink(record.reply),
    error: record.ok || cancelled ? undefined : record.text,
    retry_attempt: undefined,
    retry_at: undefined,
    waiting_for: undefined,
  };
  let messagePath = record.msg;
  if ((await ctx.store.update(messagePath, finalFields)) === null) {
    // Renamed or moved while it ran (Obsidian renames a note when its title is edited): find it again.
    const moved = await findRenamed(ctx, record.agent, record.startedAt);
    if (moved) {
      ctx.logger.info('message was renamed while it ran', { note: record.msg, now: moved });
      messagePath = moved;
      await ctx.store.update(moved, finalFields);
    }
  }
  await finishDelegated(ctx, messagePath);
  await ctx.journal.append({ t: 'finished', msg: record.msg, at: isoLocal(ctx.clock.now()) });
  if (notifyOf(ctx, record.agent) !== undefined) ctx.notifier.notify(record.reply);
}

/** The reply note of a finished turn, unless it is there already (a replay after a crash). */
async function writeReply(ctx: DaemonContext, record: ResultRecord, at: Date): Promise<void> {
  if (ctx.store.exists(record.reply)) return;
  const reply = outboundNote({
    agent: record.agent,
    to: record.to,
    inboundPath: record.msg,
    threadPath: record.thread,
    at,
    ok: record.ok,
    text: record.text,
    originMessage: record.origin,
    notify: notifyOf(ctx, record.agent) !== undefined,
  });
  await ctx.store.write(record.reply, reply);
}

/** The turn appended to its thread note, unless it is there already (a replay after a crash). */
async function writeThreadTurn(ctx: DaemonContext, record: ResultRecord, at: Date): Promise<void> {
  const { raw: threadRaw, existing } = await readThreadForUpdate(ctx, record, at);
  if (threadRaw.includes(wikilink(record.reply))) return;
  const turnText = renderTurn({
    number: record.threadBefore.turnCount + 1,
    at,
    from: record.from,
    messagePath: record.msg,
    messageText: record.body,
    replyPath: record.reply,
    replyText: record.text,
    ok: record.ok,
    tools: record.tools,
    costUsd: record.costUsd,
    durationMs: record.durationMs,
    notices: record.notices,
  });
  const before = { ...record.threadBefore, startedAt: undefined };
  // The session was cleared while the turn ran (`scriptorium reset --force`, or by hand): the reset stands.
  // The turn ran on the old session; writing that back would undo the reset without a word.
  const cleared = existing && record.threadBefore.session !== undefined && readThreadState(parseFrontmatter(threadRaw).data).session === undefined;
  const session = cleared ? '' : record.session;
  const fields = threadFieldsAfterTurn(before, { ok: record.ok, session, costUsd: record.costUsd, usage: record.usage, at });
  const updated = updateFrontmatterText(threadRaw, fields);
  await ctx.store.write(record.thread, (updated.endsWith('\n') ? updated : updated + '\n') + turnText);
}

function notifyOf(ctx: DaemonContext, agent: string): string | undefined {
  const lookup = ctx.registry.lookup(agent);
  return lookup.kind === 'ok' ? lookup.definition.notify : undefined;
}

/** The running message of `agent` that started at `startedAt`, wherever its note is now. */
async function findRenamed(ctx: DaemonContext, agent: string, startedAt: string): Promise<string | null> {
  for (const [path, entry] of ctx.index) {
    if (entry.role !== 'inbound' || entry.to !== agent) continue;
    const raw = await ctx.store.readIfExists(path);
    if (!raw) continue;
    try {
      const data = parseFrontmatter(raw).data;
      if (data.status === 'running' && data.started_at === startedAt) return path;
    } catch {
      // Not readable: not the one.
    }
  }
  return null;
}

/** A failure before any turn ran (the thread could not be opened): still a reply note and an error on the message. */
async function failWithoutTurn(ctx: DaemonContext, message: InboundMessage, agent: AgentDefinition, error: string): Promise<void> {
  const at = ctx.clock.now();
  const { dir, base } = outboundBaseName(agent.name, message.path, at);
  const threadLink = message.thread ? targetToPath(message.thread) : singleThreadPath(agent.name);
  const replyPath = await ctx.store.create(
    dir,
    base,
    outboundNote({ agent: agent.name, to: message.from, inboundPath: message.path, threadPath: threadLink, at, ok: false, text: error }),
  );
  await ctx.store.update(message.path, { status: 'error', finished_at: isoLocal(at), reply: wikilink(replyPath), error });
  ctx.logger.warn('message failed before its turn', { note: message.path, error });
  await finishDelegated(ctx, message.path);
}

/** `status: error` with the reason, for a message that cannot even be attributed to an agent. */
export async function markError(ctx: DaemonContext, messagePath: string, error: string): Promise<void> {
  try {
    await ctx.store.update(messagePath, { status: 'error', error, finished_at: isoLocal(ctx.clock.now()) });
  } catch (writeError) {
    ctx.logger.error('could not write the error onto the note', { note: messagePath, error, writeError: errorMessage(writeError) });
    return;
  }
  await finishDelegated(ctx, messagePath);
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

async function senderOf(ctx: DaemonContext, messagePath: string, fallback: string): Promise<string> {
  const raw = await ctx.store.readIfExists(messagePath);
  if (!raw) return fallback;
  try {
    const from = parseFrontmatter(raw).data.from;
    return typeof from === 'string' && from.trim() ? from.trim() : 'user';
  } catch {
    return fallback;
  }
}

/** The message a delegation made in this turn points back to: a callback's own origin, or this message. */
function originOf(message: InboundMessage): string {
  return message.callback && message.originMessage ? targetToPath(message.originMessage) : message.path;
}

/** Read the `thread` link of a message (for status displays). */
export function threadOf(data: Record<string, unknown>): string | undefined {
  const target = linkTarget(data.thread);
  return target ? targetToPath(target) : undefined;
}
