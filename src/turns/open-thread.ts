import { show, type AgentDefinition } from '../agents/definition.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { newThreadBaseName, newThreadNote, readThreadState, singleThreadPath, type ThreadState } from '../threads/thread-note.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import { targetToPath } from '../vault/links.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { isIgnoredPath } from '../vault/paths.ts';
import { outsideVault } from '../vault/real-path.ts';
import { roleOf } from '../vault/tags.ts';
import { isInFolders } from '../vault/template-folders.ts';

/** What resolving a `thread:` link needs to know of the vault (the daemon's store and index, or explain's scan). */
export interface ThreadLookup {
  /** The vault folder: a link is followed only where it really stays inside it. */
  root: string;
  exists(vaultPath: string): boolean;
  /** Thread notes known, for links by name. */
  threads: Iterable<string>;
  templateFolders: string[];
}

/** A message's `thread:` link, as a vault path; an error when it leads nowhere a thread may be. */
export function resolveThreadLink(target: string, lookup: ThreadLookup): { path: string } | { error: string } {
  const shown = `"[[${target.slice(0, 80)}]]"`;
  const direct = targetToPath(target);
  if (direct.split('/').includes('..') || direct.startsWith('/') || /^[a-z]:/i.test(direct)) {
    return { error: `thread: ${shown} is outside the vault` };
  }
  // Never into a dot-folder (.obsidian, .trash) or a template folder, whatever the link says.
  if (isIgnoredPath(direct) || isInFolders(direct, lookup.templateFolders)) {
    return { error: `thread: ${shown} points into a hidden or template folder; threads live in the vault's ordinary folders` };
  }
  // By its real path: a linked folder (or a linked note) must not lead a turn's thread outside the vault.
  const escape = outsideVault(lookup.root, direct);
  if (escape) return { error: `thread: ${shown} ${escape}` };
  if (lookup.exists(direct)) return { path: direct };
  const base = direct.split('/').pop()!.toLowerCase();
  const match = [...lookup.threads].find((p) => p.split('/').pop()!.toLowerCase() === base);
  const matchEscape = match === undefined ? null : outsideVault(lookup.root, match);
  if (match !== undefined && matchEscape) return { error: `thread: ${shown} (${match}) ${matchEscape}` };
  return match ? { path: match } : { error: `thread: ${shown} does not match any thread note` };
}

/** A Claude Code session id: what `session:` in a thread note may hold. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Only a thread note of this very agent is continued: a link to any other note (an agent definition, a
 * person's note) must never have turns appended to it. Null when the note may be continued.
 */
export function threadNoteProblem(threadPath: string, data: FrontmatterData, agent: Pick<AgentDefinition, 'name' | 'mode'>): string | null {
  if (roleOf(data.tags) !== 'thread') {
    return `${threadPath} is not a thread note (it has no agent/thread tag), so no conversation is appended to it${agent.mode === 'single-threaded' ? `; move it away to let ${agent.name} start its thread` : ''}`;
  }
  if (data.agent !== agent.name) return `thread: ${threadPath} belongs to the agent "${String(data.agent)}", not "${agent.name}"`;
  // The session becomes `--resume`'s value: only a Claude Code session id (a UUID) is passed on.
  const session = typeof data.session === 'string' ? data.session.trim() : data.session;
  if (session !== undefined && session !== null && session !== '' && !(typeof session === 'string' && SESSION_ID.test(session))) {
    return `the thread note ${threadPath} has session ${show(session)}, which is not a Claude Code session id (a UUID); clear it to start a new conversation`;
  }
  return null;
}

/** A thread note's text: why a turn may not continue it (unreadable, not a thread, another agent's), or null. */
export function threadTextProblem(threadPath: string, raw: string, agent: Pick<AgentDefinition, 'name' | 'mode'>): string | null {
  let data: FrontmatterData;
  try {
    data = parseFrontmatter(raw).data;
  } catch (error) {
    return `the thread note ${threadPath} cannot be read (${errorMessage(error)}); fix its frontmatter or delete it to start a new conversation`;
  }
  return threadNoteProblem(threadPath, data, agent);
}

export interface OpenThreadDeps {
  store: NoteStore;
  clock: Clock;
  lookup: ThreadLookup;
  /** A thread note created here (known before the watcher reports it). */
  created: (threadPath: string) => void;
}

/**
 * The thread a message's turn goes into: the agent's one thread, the one the message names, or a new one
 * (a multi-threaded agent's message naming none). Throws, in words for the message's failure note, when
 * the thread cannot be used.
 */
export async function openThread(deps: OpenThreadDeps, agent: AgentDefinition, message: InboundMessage): Promise<{ threadPath: string; thread: ThreadState }> {
  const { store, clock } = deps;
  const now = clock.now();
  let threadPath: string;
  if (agent.mode === 'single-threaded') {
    threadPath = singleThreadPath(agent.name);
  } else if (message.thread) {
    const resolved = resolveThreadLink(message.thread, deps.lookup);
    if ('error' in resolved) throw new Error(resolved.error);
    threadPath = resolved.path;
  } else {
    const { dir, base } = newThreadBaseName(agent.name, store.redact(message.path.split('/').pop()!.replace(/\.md$/i, '')), now);
    threadPath = await store.create(dir, base, newThreadNote(agent.name, agent.mode, now));
    deps.created(threadPath);
    return { threadPath, thread: readThreadState({}) };
  }
  const { raw } = await readThreadNote(store, threadPath);
  if (raw === null) {
    await store.write(threadPath, newThreadNote(agent.name, agent.mode, now));
    deps.created(threadPath);
    return { threadPath, thread: readThreadState({}) };
  }
  const problem = threadTextProblem(threadPath, raw, agent);
  if (problem) throw new Error(problem);
  return { threadPath, thread: readThreadState(parseFrontmatter(raw).data) };
}

/**
 * A thread note someone may be saving this instant: read until it reads as a thread note (its tag in
 * parseable frontmatter), a few times over two seconds, before concluding it is not one.
 */
export async function readThreadNote(store: NoteStore, threadPath: string): Promise<{ raw: string | null; isThread: boolean }> {
  let raw: string | null = null;
  for (let attempt = 0; attempt < 10; attempt++) {
    raw = await store.readStable(threadPath);
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
