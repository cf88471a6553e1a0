// Intake on its own: a real temp vault and store, the jobs it hands on recorded instead of run.
import { RanTexts } from '../../../src/messages/changed-after-run.ts';
import { realTimers } from '../../../src/util/timers.ts';
import { QuietNotes } from '../../../src/watch/quiet-notes.ts';
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAFE_POLICY } from '../../../src/agents/policy.ts';
import { Intake } from '../../../src/intake/intake.ts';
import { LoopGuard } from '../../../src/intake/loop-guard.ts';
import { AGENT_MESSAGES_PER_HOUR } from '../../../src/messages/delegation.ts';
import { ActiveMessages } from '../../../src/queue/active-messages.ts';
import type { Job } from '../../../src/queue/job.ts';
import { createStageKit, type StageKit } from '../../helpers/stage-kit.ts';
import { agentNote, inboundNote, note } from '../../helpers/temp-vault.ts';
import type { Writer } from '../../../src/turns/turn-writes.ts';
import { SentNotes } from '../../../src/intake/sent-notes.ts';
import { appendSection, renderLiveBlock } from '../../../src/threads/live-block.ts';

let kit: StageKit;
let jobs: Job[];
let free: boolean;
let active: ActiveMessages;
let deadlines: Array<[string, string, Date]>;
let intake: Intake;
/** Notes an agent's turn wrote, as TurnWrites would tell. */
let writers: Map<string, Writer>;
/** How many writes of each note the turns recorded, as TurnWrites would tell. */
let counts: Map<string, number>;

beforeEach(async () => {
  kit = await createStageKit();
  jobs = [];
  free = true;
  active = new ActiveMessages();
  deadlines = [];
  writers = new Map();
  counts = new Map();
  intake = new Intake(intakeDeps());
  intake.startUpDone();
});

afterEach(() => kit.cleanup());

/** Write a note as a person would, then hand it to intake as the watcher would. */
async function take(vaultPath: string, text: string): Promise<'definition' | 'other'> {
  await kit.vault.write(vaultPath, text);
  return intake.handle(vaultPath);
}

describe('definitions', () => {
  it('a valid definition is loaded; an invalid one gets its problems on the note, and clears them when fixed', async () => {
    expect(await take('Agents/helper.md', agentNote())).toBe('definition');
    expect(kit.registry.lookup('helper').kind).toBe('ok');

    await take('Agents/broken.md', agentNote({ max_turns: 'forty' }));
    expect(kit.registry.lookup('broken').kind).toBe('invalid');
    expect(String((await kit.vault.fields('Agents/broken.md')).error)).toMatch(/^max_turns: /);

    await take('Agents/broken.md', agentNote({ max_turns: 4 }));
    expect(kit.registry.lookup('broken').kind).toBe('ok');
    expect((await kit.vault.fields('Agents/broken.md')).error).toBeUndefined();
  });

  it("the operator's policy refuses an agent whole: no shell unless allowed", async () => {
    await take('Agents/sheller.md', agentNote({ tools: ['Bash'] }));
    expect(kit.registry.lookup('sheller').kind).toBe('invalid');
    expect(String((await kit.vault.fields('Agents/sheller.md')).error)).toContain('allow_shell');
  });

  it('a definition gone, or no longer readable, takes its agent with it', async () => {
    await take('Agents/helper.md', agentNote());
    await take('Agents/helper.md', '---\ntags: [agent/definition\n---\nbroken yaml\n');
    expect(kit.registry.lookup('helper').kind).toBe('unknown');
    expect(kit.logger.lines.map((l) => l.msg)).toContain('agent definition no longer readable; agent unavailable');
  });
});

describe('messages', () => {
  beforeEach(async () => {
    await kit.defineAgent('helper');
    await kit.defineAgent('sleeper', { enabled: false });
  });

  it('a message to a free lane becomes a job taken at once: nothing is written before its turn', async () => {
    const before = await kit.vault.read('Inbox/q.md').catch(() => null);
    expect(before).toBeNull();
    await take('Inbox/q.md', inboundNote('helper', 'What is new?'));
    expect(jobs).toEqual([{ message: 'Inbox/q.md', agent: 'helper', queuedAt: '2026-06-01T10:00:00+00:00', direct: true, originMessage: undefined }]);
    expect(JSON.parse(JSON.stringify(jobs[0]))).toMatchObject({ message: 'Inbox/q.md', agent: 'helper', direct: true });
    expect((await kit.vault.fields('Inbox/q.md')).status).toBeUndefined();
    expect(active.has('Inbox/q.md')).toBe(true);
  });

  it('a message behind a busy lane says queued, with when', async () => {
    free = false;
    await take('Inbox/q.md', inboundNote('helper', 'What is new?'));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.direct).toBe(false);
    expect(await kit.vault.fields('Inbox/q.md')).toMatchObject({ status: 'queued', queued_at: '2026-06-01T10:00:00+00:00' });
  });

  it("a queued job is a small record of where the message is, not its note: the text stays on disk until its turn", async () => {
    free = false;
    const body = `Summarise the attached notes. ${'All of this text stays in the note. '.repeat(600)}`;
    await take('Inbox/long.md', inboundNote('helper', body));
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(Object.keys(job).sort()).toEqual(['agent', 'direct', 'message', 'queuedAt', 'originMessage'].sort());
    expect(Object.values(job).every((v) => v === undefined || typeof v === 'string' || typeof v === 'boolean')).toBe(true);
    expect(JSON.stringify(job)).not.toContain('stays in the note');
    expect(JSON.stringify(job).length).toBeLessThan(200);
  });

  it('a message already in a lane is not queued twice', async () => {
    await take('Inbox/q.md', inboundNote('helper', 'Once.'));
    await intake.handle('Inbox/q.md');
    expect(jobs).toHaveLength(1);
  });

  it('a message to an unknown agent ends in error, and whoever delegated it hears', async () => {
    await take('Inbox/q.md', inboundNote('nobody', 'Hello?'));
    expect(jobs).toHaveLength(0);
    const fields = await kit.vault.fields('Inbox/q.md');
    expect(fields).toMatchObject({ status: 'error', error: 'to: no agent named "nobody" (agents: helper, sleeper)' });
    expect(kit.ended).toEqual(['Inbox/q.md']);
  });

  it('a message to a disabled agent waits, visibly queued, in no lane', async () => {
    await take('Inbox/q.md', inboundNote('sleeper', 'Wake up.'));
    expect(jobs).toHaveLength(0);
    expect((await kit.vault.fields('Inbox/q.md')).status).toBe('queued');
    expect(kit.logger.lines.map((l) => l.msg)).toContain('agent disabled; message waits');
  });

  it('drafts, finished messages and notes still being typed are left alone', async () => {
    await take('Inbox/draft.md', inboundNote('helper', 'Later.', { status: 'draft' }));
    await take('Inbox/done.md', inboundNote('helper', 'Old.', { status: 'done' }));
    await take('Inbox/empty.md', inboundNote('helper', ''));
    expect(jobs).toHaveLength(0);
    expect((await kit.vault.fields('Inbox/draft.md')).status).toBe('draft');
    expect((await kit.vault.fields('Inbox/empty.md')).status).toBeUndefined();
  });

  it('an invalid status is reported on the note and left for the user to fix', async () => {
    await take('Inbox/q.md', inboundNote('helper', 'Hi.', { status: 'sent' }));
    const fields = await kit.vault.fields('Inbox/q.md');
    expect(fields.status).toBe('sent');
    expect(String(fields.error)).toContain('status');
  });

  it('a message an agent sends past the loop guard is refused', async () => {
    await kit.defineAgent('chatty');
    for (let i = 0; i < AGENT_MESSAGES_PER_HOUR; i++) await take(`Inbox/m${i}.md`, inboundNote('helper', `Message ${i}.`, { from: 'chatty' }));
    expect(jobs).toHaveLength(AGENT_MESSAGES_PER_HOUR);
    await take('Inbox/one-more.md', inboundNote('helper', 'One more.', { from: 'chatty' }));
    expect(jobs).toHaveLength(AGENT_MESSAGES_PER_HOUR);
    expect(String((await kit.vault.fields('Inbox/one-more.md')).error)).toMatch(/^chatty has sent 30 messages to agents in the last hour/);
    // An hour on, it may send again.
    kit.clock.set('2026-06-01T11:00:01Z');
    await take('Inbox/later.md', inboundNote('helper', 'Later.', { from: 'chatty' }));
    expect(jobs).toHaveLength(AGENT_MESSAGES_PER_HOUR + 1);
  });

  it("a fan-in member's deadline is watched", async () => {
    await kit.defineAgent('boss');
    await take('Inbox/part.md', inboundNote('helper', 'Part one.', { from: 'boss', reply_to: 'boss', group: 'g1', group_size: 2, group_deadline: '2026-06-01T12:00:00Z' }));
    expect(deadlines).toEqual([['boss', 'g1', new Date('2026-06-01T12:00:00Z')]]);
  });

  it('a running message set to cancelled has its turn stopped', async () => {
    await take('Inbox/q.md', inboundNote('helper', 'Long job.'));
    const cancel = active.running('Inbox/q.md');
    await take('Inbox/q.md', inboundNote('helper', 'Long job.', { status: 'cancelled' }));
    expect(cancel.aborted).toBe(true);
  });

  it('at start-up, messages wait until every definition is known; one found running was cut off', async () => {
    const starting = new Intake({ ...intakeDeps(), laneFree: () => true });
    starting.deferMessages();
    await kit.vault.write('Inbox/a.md', inboundNote('later', 'For an agent defined after me.'));
    await kit.vault.write('Inbox/b.md', inboundNote('helper', 'Cut off.', { status: 'running' }));
    await starting.handle('Inbox/a.md');
    await starting.handle('Inbox/b.md');
    expect(jobs).toHaveLength(0);
    await kit.vault.write('Agents/later.md', agentNote());
    await starting.handle('Agents/later.md');
    for (const p of starting.takeDeferred()) await starting.handle(p);
    expect(jobs.map((j) => j.message)).toEqual(['Inbox/a.md']);
    expect(String((await kit.vault.fields('Inbox/b.md')).error)).toMatch(/^Scriptorium stopped while this message was running/);
  });
});

describe('what is not a message', () => {
  it('notes in template folders, ordinary notes and unreadable frontmatter are left alone', async () => {
    await kit.defineAgent('helper');
    await take('Templates/ask.md', inboundNote('helper', 'A form.'));
    await take('Notes/plain.md', '# Just a note\n');
    await take('Inbox/bad.md', '---\ntags: [agent/message/inbound\nto: helper\n---\nOops.\n');
    expect(jobs).toHaveLength(0);
    expect(await kit.vault.read('Inbox/bad.md')).toBe('---\ntags: [agent/message/inbound\nto: helper\n---\nOops.\n');
    expect(kit.logger.lines.find((l) => l.msg === 'note has unreadable frontmatter')?.note).toBe('Inbox/bad.md');
  });

  it('a symbolic link is never read or followed', async () => {
    await kit.defineAgent('helper');
    await kit.vault.write('Notes/real.md', inboundNote('helper', 'Through a link.'));
    await mkdir(path.join(kit.vault.root, 'Inbox'), { recursive: true });
    await symlink(path.join(kit.vault.root, 'Notes/real.md'), path.join(kit.vault.root, 'Inbox/link.md'));
    await intake.handle('Inbox/link.md');
    expect(jobs).toHaveLength(0);
    expect(kit.logger.lines.map((l) => l.msg)).toContain('symbolic link ignored');
  });

  it('a sync conflict copy is not run, and says why', async () => {
    await kit.defineAgent('helper');
    await take('Inbox/q (conflicted copy).md', inboundNote('helper', 'Twice?'));
    expect(jobs).toHaveLength(0);
    expect(String((await kit.vault.fields('Inbox/q (conflicted copy).md')).error)).toContain('sync conflict copy');
  });

  it('thread and reply notes are remembered, not run', async () => {
    await take('Threads/helper.md', '---\ntags: [agent/thread]\nagent: helper\n---\n');
    expect([...kit.index.threads()]).toEqual(['Threads/helper.md']);
    await take('Outbox/r.md', '---\ntags: [agent/message/outbound]\nfrom: helper\nnotify_status: pending\n---\nHi\n');
    expect(kit.notified).toEqual(['Outbox/r.md']);
  });
});

describe('a definition an agent\'s turn writes', () => {
  const bossTurn: Writer = { agent: 'boss', depth: 0, origin: 'Inbox/task.md' };
  const made = (path: string) => {
    writers.set(path, bossTurn);
    counts.set(path, (counts.get(path) ?? 0) + 1);
  };

  it('is not loaded, is stamped written_by, and stays refused when the turn is long forgotten', async () => {
    made('Agents/free.md');
    await take('Agents/free.md', agentNote({ schedule: '*/2 * * * * *' }));
    expect(kit.registry.lookup('free').kind).toBe('invalid');
    const fields = await kit.vault.fields('Agents/free.md');
    expect(fields.written_by).toBe('boss');
    expect(String(fields.error)).toMatch(/^written_by: this definition was written by boss's turn \(answering Inbox\/task.md\), and an agent may not create or change an agent/);
    writers.clear();
    counts.clear();
    await intake.handle('Agents/free.md', { ignoreOwnWrite: true });
    expect(kit.registry.lookup('free').kind).toBe('invalid');
  });

  it('loads once a person deletes the stamp, but not when the turn writes it again without the stamp', async () => {
    made('Agents/free.md');
    await take('Agents/free.md', agentNote());
    // The turn writes the note again, leaving the stamp out: still its own.
    made('Agents/free.md');
    await take('Agents/free.md', agentNote({ description: 'again' }));
    expect(kit.registry.lookup('free').kind).toBe('invalid');
    expect((await kit.vault.fields('Agents/free.md')).written_by).toBe('boss');
    // A person deletes the stamp (no turn wrote since): accepted, within the hour the write is remembered.
    const text = (await kit.vault.read('Agents/free.md')).replace(/^written_by: boss\n/m, '');
    await take('Agents/free.md', text);
    expect(kit.registry.lookup('free').kind).toBe('ok');
    expect((await kit.vault.fields('Agents/free.md')).error).toBeUndefined();
    // Read again (the watcher sees the error cleared, a recheck): still accepted, not stamped again.
    await intake.handle('Agents/free.md', { ignoreOwnWrite: true });
    expect(kit.registry.lookup('free').kind).toBe('ok');
    expect((await kit.vault.fields('Agents/free.md')).written_by).toBeUndefined();
  });
});

describe("who sent a message: Scriptorium's word, not the note's", () => {
  const bossTurn: Writer = { agent: 'boss', depth: 2, origin: 'Inbox/task.md' };
  beforeEach(async () => {
    await kit.defineAgent('helper');
    await kit.defineAgent('boss', { can_message: ['helper'] });
    await kit.defineAgent('loner', { can_message: [] });
  });

  it("a note an agent's turn wrote, saying nothing of its sender, is that agent's: stamped, one hop deeper, and checked", async () => {
    writers.set('Inbox/sub.md', bossTurn);
    await take('Inbox/sub.md', inboundNote('helper', 'Do part one.'));
    expect(jobs.map((j) => [j.message, j.direct])).toEqual([['Inbox/sub.md', false]]);
    const fields = await kit.vault.fields('Inbox/sub.md');
    expect(fields).toMatchObject({ from: 'boss', delegation_depth: 3, origin_message: '[[Inbox/task]]', status: 'queued' });
  });

  it('the same note, written by no turn, is a person\'s message', async () => {
    await take('Inbox/sub.md', inboundNote('helper', 'Do part one.'));
    expect(jobs.map((j) => j.direct)).toEqual([true]);
    expect((await kit.vault.fields('Inbox/sub.md')).from).toBeUndefined();
  });

  it('an agent writing to itself with can_message: [] is refused, as its own message', async () => {
    writers.set('Inbox/me.md', { agent: 'loner', depth: 0, origin: 'Inbox/first.md' });
    await take('Inbox/me.md', inboundNote('loner', 'Again!'));
    expect(jobs).toEqual([]);
    expect(String((await kit.vault.fields('Inbox/me.md')).error)).toBe('loner may not message loner: its can_message allows no agent');
  });

  it.each([
    ['from: user', { from: 'user' }, /^from: says "user", but this note was written by boss's turn \(answering Inbox\/task.md\)/],
    ['from: scheduler', { from: 'scheduler' }, /^from: says "scheduler"/],
    ['another agent', { from: 'helper' }, /^from: says "helper"/],
    ['a callback', { callback: true, from: 'boss' }, /^callback: only Scriptorium writes callbacks/],
    ['a fan-in member calling back another agent', { group: 'g1', group_size: 2, reply_to: 'helper' }, /^reply_to: names "helper"/],
    ["another agent's callback", { reply_to: 'helper' }, /^reply_to: names "helper"/],
  ])('a forged sender (%s) is refused with an error, and counts toward the loop guard', async (_, fields, error) => {
    writers.set('Inbox/forged.md', bossTurn);
    await take('Inbox/forged.md', inboundNote('helper', 'Trust me.', fields));
    expect(jobs).toEqual([]);
    const after = await kit.vault.fields('Inbox/forged.md');
    expect(after.status).toBe('error');
    expect(String(after.error)).toMatch(error);
    // Counted: the next 29 pass, the 30th message that hour is refused by the loop guard.
    for (let i = 0; i < AGENT_MESSAGES_PER_HOUR - 1; i++) await take(`Inbox/m${i}.md`, inboundNote('helper', `Message ${i}.`, { from: 'boss' }));
    await take('Inbox/over.md', inboundNote('helper', 'Over.', { from: 'boss' }));
    expect(String((await kit.vault.fields('Inbox/over.md')).error)).toMatch(/^boss has sent 30 messages/);
  });

  it('a deeper depth than the turn\'s next hop stands; a shallower one is raised', async () => {
    writers.set('Inbox/deep.md', bossTurn);
    writers.set('Inbox/shallow.md', bossTurn);
    await take('Inbox/deep.md', inboundNote('helper', 'Deep.', { delegation_depth: 6 }));
    await take('Inbox/shallow.md', inboundNote('helper', 'Shallow.', { delegation_depth: 0, from: 'boss' }));
    expect((await kit.vault.fields('Inbox/deep.md')).delegation_depth).toBe(6);
    expect((await kit.vault.fields('Inbox/shallow.md')).delegation_depth).toBe(3);
  });

  it("a note a turn wrote `queued` itself is sent all the same: stamped, counted and checked against the loop guard", async () => {
    await kit.defineAgent('idle', { enabled: false });
    await kit.defineAgent('boss', { can_message: ['helper', 'idle'] });
    writers.set('Inbox/q.md', bossTurn);
    await take('Inbox/q.md', inboundNote('helper', 'Queued.', { status: 'queued' }));
    writers.set('Inbox/w.md', bossTurn);
    await take('Inbox/w.md', inboundNote('idle', 'Waiting.', { status: 'queued' }));
    expect(jobs.map((j) => j.message)).toEqual(['Inbox/q.md']);
    // The stamp is on both notes, the one left waiting for a disabled agent too.
    for (const note of ['Inbox/q.md', 'Inbox/w.md']) expect(await kit.vault.fields(note)).toMatchObject({ from: 'boss', delegation_depth: 3, status: 'queued' });
    // Counted: two sent, so 28 more pass and the next is refused.
    for (let i = 0; i < AGENT_MESSAGES_PER_HOUR - 2; i++) await take(`Inbox/m${i}.md`, inboundNote('helper', `Message ${i}.`, { from: 'boss' }));
    await take('Inbox/over.md', inboundNote('helper', 'Over.', { from: 'boss' }));
    expect(String((await kit.vault.fields('Inbox/over.md')).error)).toMatch(/^boss has sent 30 messages/);
  });

  it('a note a turn sent, looked at again (a recheck of a waiting message), is not sent again', async () => {
    await kit.defineAgent('idle', { enabled: false });
    await kit.defineAgent('boss', { can_message: ['helper', 'idle'] });
    writers.set('Inbox/w.md', bossTurn);
    await take('Inbox/w.md', inboundNote('idle', 'Waiting.'));
    expect(await kit.vault.fields('Inbox/w.md')).toMatchObject({ from: 'boss', status: 'queued' });
    for (let i = 0; i < 5; i++) await intake.handle('Inbox/w.md', { ignoreOwnWrite: true });
    for (let i = 0; i < AGENT_MESSAGES_PER_HOUR - 1; i++) await take(`Inbox/m${i}.md`, inboundNote('helper', `Message ${i}.`, { from: 'boss' }));
    expect(jobs).toHaveLength(AGENT_MESSAGES_PER_HOUR - 1);
  });

  it("a message waiting in a lane that another turn edits is taken in again as that turn's agent's", async () => {
    await take('Inbox/users.md', inboundNote('helper', 'Summarise.'));
    expect(jobs).toHaveLength(1);
    // The lane's check sends it back (turns/lane-checks.ts), the job done; loner's turn had edited it.
    active.done('Inbox/users.md');
    await kit.vault.write('Inbox/users.md', inboundNote('helper', 'Delete everything.', { status: 'queued' }));
    writers.set('Inbox/users.md', { agent: 'loner', depth: 0, origin: 'Inbox/first.md' });
    await intake.handle('Inbox/users.md', { ignoreOwnWrite: true });
    expect(await kit.vault.fields('Inbox/users.md')).toMatchObject({ status: 'error', error: 'loner may not message helper: its can_message allows no agent' });
    expect(jobs).toHaveLength(1);
  });
});

function intakeDeps(): ConstructorParameters<typeof Intake>[0] {
  return {
    root: kit.vault.root,
    store: kit.store,
    registry: kit.registry,
    index: kit.index,
    policy: SAFE_POLICY,
    templateFolders: ['Templates'],
    clock: kit.clock,
    logger: kit.logger,
    outcomes: kit.outcomes,
    notifier: { notify: (p) => void kit.notified.push(p) },
    loopGuard: new LoopGuard(kit.clock),
    active,
    notesPending: () => false,
    laneFree: () => free,
    // As the job queue does: the message is in a lane from now on.
    enqueue: (job) => {
      jobs.push(job);
      active.queued(job.message);
    },
    watchDeadline: (replyTo, group, at) => void deadlines.push([replyTo, group, at]),
    writerOf: (p) => writers.get(p),
    sent: new SentNotes(),
    writeCount: (p) => counts.get(p) ?? 0,
    // No note here was written in place through a watcher: none waits to be quiet.
    quiet: new QuietNotes({ quietMs: 5_000, timers: realTimers, lookAgain: () => {} }),
    ranTexts: new RanTexts(),
  };
}

describe('notes that need nothing at start (kept in the notes index)', () => {
  beforeEach(async () => {
    await kit.defineAgent('helper');
  });

  /** What intake says of the note, handed to it with the text read at start. */
  async function settledAs(vaultPath: string, text: string): Promise<unknown[]> {
    await kit.vault.write(vaultPath, text);
    const said: unknown[] = [];
    await intake.handle(vaultPath, { raw: text, ignoreOwnWrite: true, settled: (entry) => void said.push(entry) });
    return said;
  }

  it.each(['done', 'error', 'cancelled'])('a message %s is settled, with what the index and the dashboard need of it', async (status) => {
    const said = await settledAs('Inbox/q.md', inboundNote('helper', 'Hi.', { status, error: 'it broke', reply_to: 'boss', group: 'g1' }));
    expect(said).toEqual([{ role: 'inbound', to: 'helper', replyTo: 'boss', group: 'g1', origin: undefined, error: 'it broke' }]);
  });

  it.each(['ready', 'queued', 'running', 'waiting', 'draft', 'nonsense', undefined])('a message with status %s is not', async (status) => {
    expect(await settledAs('Inbox/q.md', inboundNote('helper', 'Hi.', status === undefined ? {} : { status }))).toEqual([]);
  });

  it('a reply is settled unless a webhook is pending for it or it asks a question', async () => {
    const reply = (fields: Record<string, unknown>) => note({ tags: ['agent/message/outbound'], from: 'helper', to: 'user', status: 'ok', ...fields }, 'Hi.');
    expect(await settledAs('Outbox/a.md', reply({ notify_status: 'delivered' }))).toEqual([{ role: 'outbound' }]);
    expect(await settledAs('Outbox/b.md', reply({ notify_status: 'pending' }))).toEqual([]);
    expect(await settledAs('Outbox/c.md', reply({ asks: true, status: 'answered' }))).toEqual([]);
  });

  it('a thread note is settled unless a turn was cut off in it', async () => {
    expect(await settledAs('Threads/helper.md', note({ tags: ['agent/thread'], agent: 'helper' }, '## Turn 1\n'))).toEqual([{ role: 'thread' }]);
    const live = renderLiveBlock({ number: 2, from: 'user', messagePath: 'Inbox/q.md', startedAt: new Date(), tools: [], lastActivity: undefined }, new Date());
    expect(await settledAs('Threads/other.md', appendSection(note({ tags: ['agent/thread'], agent: 'helper' }, '## Turn 1\n'), live))).toEqual([]);
  });

  it("a thread's archive part is settled: it is only ever appended to", async () => {
    expect(await settledAs('Threads/Archive/helper, part 1.md', note({ tags: ['agent/thread-archive'], agent: 'helper', thread: '[[Threads/helper]]', part: 1 }, '## Turn 1\n'))).toEqual([{ role: 'archive' }]);
  });

  it('definitions and approvals never are: start always reads them', async () => {
    expect(await settledAs('Agents/helper2.md', agentNote())).toEqual([]);
    expect(await settledAs('Approvals/a.md', note({ tags: ['agent/approval'], status: 'approved' }, 'ok'))).toEqual([]);
  });
});

describe('notes that settle while the daemon runs (added to the notes index)', () => {
  /** What intake told the notes index, in order: a note found settled with the text it decided on, or withdrawn. */
  let told: Array<['seen', string, string, unknown] | ['unsettled', string]>;

  beforeEach(async () => {
    await kit.defineAgent('helper');
    told = [];
    intake = new Intake({
      ...intakeDeps(),
      settledWhileRunning: {
        seen: (vaultPath, raw, entry) => void told.push(['seen', vaultPath, raw, entry]),
        unsettled: (vaultPath) => void told.push(['unsettled', vaultPath]),
      },
    });
    intake.startUpDone();
    told = [];
  });

  const reply = (fields: Record<string, unknown> = {}) => note({ tags: ['agent/message/outbound'], from: 'helper', to: 'user', status: 'ok', ...fields }, 'Hi.');
  const thread = note({ tags: ['agent/thread'], agent: 'helper' }, '## Turn 1\n');

  /** Written by Scriptorium (remembered as its own write), then handed to intake as the watcher would. */
  async function ownWrite(vaultPath: string, text: string): Promise<void> {
    await kit.store.write(vaultPath, text);
    await intake.handle(vaultPath);
  }

  it('a message a person sets done is reported with the text intake read; set ready again, it is withdrawn', async () => {
    const done = inboundNote('helper', 'Hi.', { status: 'done', error: 'it broke', reply_to: 'boss', group: 'g1' });
    await take('Inbox/q.md', done);
    expect(told).toEqual([['seen', 'Inbox/q.md', done, { role: 'inbound', to: 'helper', replyTo: 'boss', group: 'g1', origin: undefined, error: 'it broke' }]]);
    await take('Inbox/q.md', inboundNote('helper', 'Hi.'));
    expect(told.at(-1)).toEqual(['unsettled', 'Inbox/q.md']);
    expect(jobs).toHaveLength(1);
  });

  it("Scriptorium's own final write of a message is reported, with what the start-up read would make of it, and nothing else is done", async () => {
    await take('Inbox/q.md', inboundNote('helper', 'Hi.'));
    expect(jobs).toHaveLength(1);
    const done = inboundNote('helper', 'Hi.', { status: 'done', reply: '[[Outbox/r]]' });
    await ownWrite('Inbox/q.md', done);
    expect(told.at(-1)).toEqual(['seen', 'Inbox/q.md', done, { role: 'inbound', to: 'helper', replyTo: undefined, group: undefined, origin: undefined, error: undefined }]);
    // The same as the start-up read reports for that text.
    const atStart: unknown[] = [];
    active.done('Inbox/q.md');
    await intake.handle('Inbox/q.md', { raw: done, ignoreOwnWrite: true, settled: (entry) => void atStart.push(entry) });
    expect(atStart).toEqual([told.at(-1)![3]]);
    expect(jobs).toHaveLength(1);
  });

  it('own writes of a message not final, a reply with a webhook pending, a thread with a turn running: withdrawn', async () => {
    await ownWrite('Inbox/q.md', inboundNote('helper', 'Hi.', { status: 'running' }));
    await ownWrite('Outbox/a.md', reply({ notify_status: 'pending' }));
    const live = renderLiveBlock({ number: 2, from: 'user', messagePath: 'Inbox/q.md', startedAt: new Date(), tools: [], lastActivity: undefined }, new Date());
    await ownWrite('Threads/helper.md', appendSection(thread, live));
    expect(told).toEqual([
      ['unsettled', 'Inbox/q.md'],
      ['unsettled', 'Outbox/a.md'],
      ['unsettled', 'Threads/helper.md'],
    ]);
    // Own writes are still not taken in: the running message was not failed as cut off.
    expect((await kit.vault.fields('Inbox/q.md')).status).toBe('running');
  });

  it('own writes of a new reply, a thread once its turn is over and an archive part are reported', async () => {
    await ownWrite('Outbox/a.md', reply({ notify_status: 'delivered' }));
    await ownWrite('Threads/helper.md', thread);
    const part = note({ tags: ['agent/thread-archive'], agent: 'helper', thread: '[[Threads/helper]]', part: 1 }, '## Turn 1\n');
    await ownWrite('Threads/Archive/helper, part 1.md', part);
    expect(told.map(([what, vaultPath, , entry]) => [what, vaultPath, entry])).toEqual([
      ['seen', 'Outbox/a.md', { role: 'outbound' }],
      ['seen', 'Threads/helper.md', { role: 'thread' }],
      ['seen', 'Threads/Archive/helper, part 1.md', { role: 'archive' }],
    ]);
  });

  it('own writes of a definition, a note in a template folder or a sync conflict copy are not reported', async () => {
    await ownWrite('Agents/helper.md', agentNote({ description: 'Helps.' }));
    await ownWrite('Templates/done.md', inboundNote('helper', 'Hi.', { status: 'done' }));
    await ownWrite("Inbox/q (Jane's conflicted copy 2026-01-01).md", inboundNote('helper', 'Hi.', { status: 'done' }));
    expect(told.filter(([what]) => what === 'seen')).toEqual([]);
  });

  it('the start-up read keeps its own index: nothing is reported here for it', async () => {
    const done = inboundNote('helper', 'Old.', { status: 'done' });
    await kit.vault.write('Inbox/q.md', done);
    const said: unknown[] = [];
    await intake.handle('Inbox/q.md', { raw: done, ignoreOwnWrite: true, settled: (entry) => void said.push(entry) });
    expect(said).toHaveLength(1);
    expect(told).toEqual([]);
  });

  it('a note deleted is withdrawn', async () => {
    await take('Inbox/q.md', inboundNote('helper', 'Hi.', { status: 'done' }));
    await rm(path.join(kit.vault.root, 'Inbox/q.md'));
    await intake.handle('Inbox/q.md');
    expect(told.at(-1)).toEqual(['unsettled', 'Inbox/q.md']);
  });
});
