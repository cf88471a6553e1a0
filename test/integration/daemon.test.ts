// The daemon end to end on a real vault: the real chokidar watcher, the real runner spawning the fake
// `claude` (test/fixtures/fake-claude.mjs), real notes read back from disk.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { argValue, hasFlag, messageNoteOf } from '../helpers/fake-claude-env.ts';
import { createHarness, linkedPath, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { inboundNote } from '../helpers/temp-vault.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});

afterEach(async () => {
  await h.close();
});

/** The fields Scriptorium stamps onto an inbound note as it goes. */
const STAMPED = /^(status|queued_at|started_at|finished_at|thread|reply|error): /;

describe('a message, start to finish', () => {
  it('a note written by hand goes queued → running → done, with a thread note and a reply linked both ways', async () => {
    await h.vault.writeAgent('helper');
    await h.start();

    const msg = 'Inbox/Rome question.md';
    const head = [
      '---',
      '# written by hand, in an editor',
      'tags:',
      '  - agent/message/inbound',
      'to: helper',
      'project: "Rome"   # keep this comment',
      'priority: 3',
      'related: [[[Trip to Rome]]]',
      '',
    ].join('\n');
    const body = '\nWhat did I write about Rome? [[fake:slow:300]]\n\nA second paragraph, *with* markdown.\n';
    await h.vault.write(msg, head + '---\n' + body);

    const running = await waitForStatus(h.vault, msg, 'running');
    expect(running.thread).toBe('[[Threads/helper]]');
    const done = await waitForStatus(h.vault, msg, 'done');

    // The lifecycle, in order, for this note.
    const order = h.logger.lines.filter((l) => l.note === msg).map((l) => l.msg);
    expect(order.filter((m) => ['message queued', 'turn started', 'turn done'].includes(m))).toEqual(['message queued', 'turn started', 'turn done']);

    // The user's note: every byte as written, plus the stamped fields appended to the frontmatter.
    const raw = await h.vault.read(msg);
    expect(raw.startsWith(head)).toBe(true);
    expect(raw.endsWith('\n---\n' + body)).toBe(true);
    const added = raw.slice(head.length, raw.length - ('---\n' + body).length).split('\n').filter(Boolean);
    expect(added.every((line) => STAMPED.test(line)), added.join('\n')).toBe(true);
    expect(added.map((line) => line.split(':')[0]).sort()).toEqual(['finished_at', 'queued_at', 'reply', 'started_at', 'status', 'thread']);
    expect(done.project).toBe('Rome');
    expect(done.priority).toBe(3);
    expect(typeof done.queued_at).toBe('string');
    expect(typeof done.started_at).toBe('string');
    expect(typeof done.finished_at).toBe('string');
    // Links are quoted wikilinks.
    expect(raw).toMatch(/^thread: "\[\[Threads\/helper\]\]"$/m);
    expect(raw).toMatch(/^reply: "\[\[Outbox\/[^\]]+\]\]"$/m);

    // The reply note links back.
    const replyPath = linkedPath(done.reply);
    expect(await h.vault.list('Outbox')).toEqual([replyPath]);
    const replyRaw = await h.vault.read(replyPath);
    expect(replyRaw).toMatch(/^in_reply_to: "\[\[Inbox\/Rome question\]\]"$/m);
    expect(replyRaw).toMatch(/^thread: "\[\[Threads\/helper\]\]"$/m);
    const reply = await h.vault.fields(replyPath);
    expect(reply.tags).toEqual(['agent/message/outbound']);
    expect(reply.from).toBe('helper');
    expect(reply.to).toBe('user');

    // The thread note records the session the fake reported.
    const [call] = h.fake.invocations();
    const session = argValue(call!.argv, '--session-id');
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    expect(await h.vault.body(replyPath)).toContain(`(turn 1 of session ${session})`);
    const thread = await h.vault.fields('Threads/helper.md');
    expect(thread.tags).toEqual(['agent/thread']);
    expect(thread.agent).toBe('helper');
    expect(thread.status).toBe('ok');
    expect(thread.session).toBe(session);
    expect(thread.turn_count).toBe(1);
    expect(thread.cost_usd).toBeGreaterThan(0);
    const threadBody = await h.vault.body('Threads/helper.md');
    expect(threadBody).toContain('## Turn 1');
    expect(threadBody).toContain('[[Inbox/Rome question]]');
    expect(threadBody).toContain(`[[${replyPath.replace(/\.md$/, '')}]]`);
  });
});

describe('sessions and threads', () => {
  it('a second message to a single-threaded agent resumes the same session', async () => {
    await h.vault.writeAgent('helper');
    await h.start();

    const first = await h.vault.writeMessage('first', 'helper', 'Remember the word "amber".');
    await waitForStatus(h.vault, first, 'done');
    const second = await h.vault.writeMessage('second', 'helper', 'Which word did I ask you to remember?');
    const done = await waitForStatus(h.vault, second, 'done');

    const [a, b] = h.fake.invocations();
    const session = argValue(a!.argv, '--session-id');
    expect(session).toBeDefined();
    expect(hasFlag(a!.argv, '--resume')).toBe(false);
    expect(argValue(b!.argv, '--resume')).toBe(session);
    expect(hasFlag(b!.argv, '--session-id')).toBe(false);
    expect(await h.vault.body(linkedPath(done.reply))).toContain(`(turn 2 of session ${session})`);

    const thread = await h.vault.fields('Threads/helper.md');
    expect(thread.session).toBe(session);
    expect(thread.turn_count).toBe(2);
    expect(done.thread).toBe('[[Threads/helper]]');
    // The thread note keeps its latest turn; the first moved to its archive, shown above it.
    const threadBody = await h.vault.body('Threads/helper.md');
    expect(threadBody).not.toContain('## Turn 1 ');
    expect(threadBody.indexOf('![[Threads/Archive/helper, part 1]]')).toBeLessThan(threadBody.indexOf('## Turn 2 · '));
    expect(thread.archive).toBe('[[Threads/Archive/helper, part 1]]');
    const archive = await h.vault.read('Threads/Archive/helper, part 1.md');
    expect(archive).toContain('Remember the word "amber".');
    expect(archive).not.toContain('## Turn 2 ');
  });

  it('a multi-threaded agent starts a thread per message, and a message naming a thread continues it', async () => {
    await h.vault.writeAgent('muse', { mode: 'multi-threaded' });
    await h.start();

    const one = await h.vault.writeMessage('Ideas for a garden', 'muse', 'Ideas for a small garden?');
    const doneOne = await waitForStatus(h.vault, one, 'done');
    const two = await h.vault.writeMessage('Names for a cat', 'muse', 'Names for a grey cat?');
    const doneTwo = await waitForStatus(h.vault, two, 'done');

    const threadOne = linkedPath(doneOne.thread);
    const threadTwo = linkedPath(doneTwo.thread);
    expect(threadOne).toMatch(/^Threads\/muse\/.+\.md$/);
    expect(threadTwo).toMatch(/^Threads\/muse\/.+\.md$/);
    expect(threadOne).not.toBe(threadTwo);
    const sessionOne = (await h.vault.fields(threadOne)).session;
    const sessionTwo = (await h.vault.fields(threadTwo)).session;
    expect(sessionOne).toMatch(/^[0-9a-f-]{36}$/);
    expect(sessionTwo).toMatch(/^[0-9a-f-]{36}$/);
    expect(sessionOne).not.toBe(sessionTwo);
    expect((await h.vault.fields(threadOne)).mode).toBe('multi-threaded');

    const followUp = await h.vault.writeMessage('More garden', 'muse', 'And for a shady corner?', {
      thread: `[[${threadOne.replace(/\.md$/, '')}]]`,
    });
    const doneFollowUp = await waitForStatus(h.vault, followUp, 'done');
    expect(linkedPath(doneFollowUp.thread)).toBe(threadOne);
    const calls = h.fake.invocations();
    expect(calls).toHaveLength(3);
    expect(argValue(calls[2]!.argv, '--resume')).toBe(sessionOne);
    expect(await h.vault.body(linkedPath(doneFollowUp.reply))).toContain(`(turn 2 of session ${sessionOne})`);
    expect((await h.vault.fields(threadOne)).turn_count).toBe(2);
    expect((await h.vault.fields(threadTwo)).turn_count).toBe(1);
    expect(await h.vault.list('Threads/muse')).toHaveLength(2);
  });
});

describe('which notes run', () => {
  it('messages left ready or queued run at start; one left running is marked error and left to the user', async () => {
    await h.vault.writeAgent('helper');
    const ready = await h.vault.writeMessage('left ready', 'helper', 'Written while the daemon was down.');
    const noStatus = await h.vault.writeMessage('no status', 'helper', 'No status at all means ready.');
    const queued = await h.vault.writeMessage('left queued', 'helper', 'Queued when the daemon stopped.', { status: 'queued' });
    const running = await h.vault.writeMessage('left running', 'helper', 'Running when the daemon stopped.', { status: 'running' });
    await h.start();

    await waitForStatus(h.vault, ready, 'done');
    await waitForStatus(h.vault, noStatus, 'done');
    await waitForStatus(h.vault, queued, 'done');
    const stopped = await waitForStatus(h.vault, running, 'error');
    expect(stopped.error).toMatch(/Set status back to ready/);
    expect(stopped.reply).toBeUndefined();
    await h.daemon.idle();
    const ran = h.fake.invocations().map(messageNoteOf).sort();
    expect(ran).toEqual([queued, ready, noStatus].sort());
  });

  it('a draft is ignored until it is set to ready', async () => {
    await h.vault.writeAgent('helper');
    await h.start();
    const draftText = inboundNote('helper', 'Still typing this one', { status: 'draft' });
    await h.vault.write('Inbox/draft.md', draftText);
    // Something after it that does run, so the draft has certainly been looked at.
    const other = await h.vault.writeMessage('other', 'helper', 'A finished message.');
    await waitForStatus(h.vault, other, 'done');
    await h.daemon.idle();
    expect(await h.vault.read('Inbox/draft.md')).toBe(draftText);
    expect(h.fake.invocations().map(messageNoteOf)).toEqual([other]);

    await h.vault.write('Inbox/draft.md', draftText.replace('status: draft', 'status: ready'));
    await waitForStatus(h.vault, 'Inbox/draft.md', 'done');
    expect(h.fake.invocations().map(messageNoteOf)).toEqual([other, 'Inbox/draft.md']);
  });

  it('notes in dot-folders, node_modules and Templates never run; a sync-conflict copy gets an error instead', async () => {
    const message = (text: string) => inboundNote('helper', text);
    const never: Record<string, string> = {
      '.obsidian/message.md': message('in .obsidian'),
      '.trash/message.md': message('in .trash'),
      'node_modules/pkg/message.md': message('in node_modules'),
      'Templates/Message.md': message('a template'),
    };
    await h.vault.writeAgent('helper');
    for (const [p, text] of Object.entries(never)) await h.vault.write(p, text);
    await h.vault.write('Inbox/Note.md', inboundNote('helper', 'The original', { status: 'done' }));
    const conflictAtStart = 'Inbox/Note (Conflicted copy Laptop 202411281430).md';
    await h.vault.write(conflictAtStart, inboundNote('helper', 'The conflicting copy'));
    await h.start();

    // The same kinds of notes arriving while it runs.
    const later: Record<string, string> = {
      '.obsidian/later.md': message('in .obsidian, later'),
      '.trash/later.md': message('in .trash, later'),
      'node_modules/pkg/later.md': message('in node_modules, later'),
      'Templates/Later.md': message('a template, later'),
    };
    for (const [p, text] of Object.entries(later)) await h.vault.write(p, text);
    const conflictLater = 'Inbox/Other.sync-conflict-20241128-143000-ABCDEFG.md';
    await h.vault.write(conflictLater, inboundNote('helper', 'A Syncthing conflict copy'));
    const sentinel = await h.vault.writeMessage('sentinel', 'helper', 'This one runs.');
    await waitForStatus(h.vault, sentinel, 'done');

    for (const copy of [conflictAtStart, conflictLater]) {
      const fields = await waitFor(async () => {
        const f = await h.vault.fields(copy);
        return typeof f.error === 'string' ? f : null;
      }, { what: `error on ${copy}` });
      expect(fields.error).toMatch(/sync conflict copy/);
      expect(fields.status).toBeUndefined();
    }
    await h.daemon.idle();
    expect(h.fake.invocations().map(messageNoteOf)).toEqual([sentinel]);
    for (const [p, text] of Object.entries({ ...never, ...later })) expect(await h.vault.read(p)).toBe(text);
    expect(h.logs('sync conflict copy ignored').map((l) => l.note).sort()).toEqual([conflictAtStart, conflictLater].sort());
  });

  it("Scriptorium's own writes never start another turn, and neither do the user's edits of replies and threads", async () => {
    await h.vault.writeAgent('helper');
    await h.vault.writeAgent('bystander');
    await h.start();
    const msg = await h.vault.writeMessage('only once', 'helper', 'Answer me once.');
    const done = await waitForStatus(h.vault, msg, 'done');
    await h.daemon.idle();

    // A user edit of an unrelated note: once the daemon has read it, every earlier event has been handled.
    let loads = h.logs('agent definition loaded', { note: 'Agents/bystander.md' }).length;
    const touchBystander = async (n: number) => {
      await h.vault.writeAgent('bystander', {}, `You are bystander, edit ${n}.`);
      await waitFor(() => h.logs('agent definition loaded', { note: 'Agents/bystander.md' }).length > loads, { what: 'bystander reloaded' });
      loads = h.logs('agent definition loaded', { note: 'Agents/bystander.md' }).length;
      await h.daemon.idle();
    };
    await touchBystander(1);
    expect(h.fake.invocations()).toHaveLength(1);

    // The user edits the reply and the thread note (fields and body): still nothing runs.
    const replyPath = linkedPath(done.reply);
    const reply = await h.vault.read(replyPath);
    await h.vault.write(replyPath, reply.replace('status: ok', 'status: ready') + '\nMy own note under the reply.\n');
    const thread = await h.vault.read('Threads/helper.md');
    await h.vault.write('Threads/helper.md', thread + '\nA remark of mine.\n');
    await touchBystander(2);
    expect(h.fake.invocations()).toHaveLength(1);
    expect((await h.vault.fields(msg)).status).toBe('done');
    expect(h.logs('message queued')).toHaveLength(1);
  });

  it('setting a done message back to ready runs it again, with a second reply note', async () => {
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('again', 'helper', 'Tell me again.');
    const first = await waitForStatus(h.vault, msg, 'done');
    const firstReply = linkedPath(first.reply);

    const raw = await h.vault.read(msg);
    await h.vault.write(msg, raw.replace(/^status: done$/m, 'status: ready'));
    const second = await waitFor(async () => {
      const f = await h.vault.fields(msg);
      return f.status === 'done' && f.reply !== first.reply ? f : null;
    }, { what: 'a second run' });
    const secondReply = linkedPath(second.reply);
    expect(secondReply).not.toBe(firstReply);
    expect((await h.vault.list('Outbox')).sort()).toEqual([firstReply, secondReply].sort());
    expect(await h.vault.body(secondReply)).toContain('(turn 2 of session');
    expect(h.fake.invocations()).toHaveLength(2);
    expect((await h.vault.fields('Threads/helper.md')).turn_count).toBe(2);
  });
});

describe('definitions and addressing', () => {
  it('an invalid definition is explained on its note and in the log, while other agents keep working', async () => {
    const bad = await h.vault.writeAgent('bad', { mode: 'fast', max_turns: -1 });
    await h.vault.writeAgent('good');
    await h.start();

    const invalid = await waitFor(async () => {
      const f = await h.vault.fields(bad);
      return typeof f.error === 'string' ? f : null;
    }, { what: 'error on Agents/bad.md' });
    expect(invalid.error).toContain('mode: expected single-threaded or multi-threaded, found "fast"');
    expect(invalid.error).toContain('max_turns: expected a whole number above 0, found number -1');
    const [line] = h.logs('agent definition invalid', { note: bad });
    expect(line?.level).toBe('warn');
    expect(String(line?.error)).toContain('mode:');

    const toGood = await h.vault.writeMessage('to good', 'good', 'Are you there?');
    const toBad = await h.vault.writeMessage('to bad', 'bad', 'Are you there?');
    await waitForStatus(h.vault, toGood, 'done');
    const refused = await waitForStatus(h.vault, toBad, 'error');
    expect(refused.error).toMatch(/the agent "bad" has an invalid definition \(Agents\/bad\.md\): mode: expected single-threaded or multi-threaded/);
    expect(refused.error).toMatch(/set this message back to ready/);
    expect(h.fake.invocations().map(messageNoteOf)).toEqual([toGood]);

    // Fixed the way a person would: the two values, leaving the rest (and the error line) as it was.
    const raw = await h.vault.read(bad);
    await h.vault.write(bad, raw.replace('mode: fast', 'mode: single-threaded').replace('max_turns: -1', 'max_turns: 5'));
    await waitFor(async () => (await h.vault.fields(bad)).error === undefined, { what: 'error cleared on Agents/bad.md' });
    expect(await h.vault.read(bad)).not.toMatch(/^error:/m);
    const retry = await h.vault.writeMessage('to bad again', 'bad', 'Now?');
    await waitForStatus(h.vault, retry, 'done');
  });

  it('a message to an unknown agent, or with no `to`, gets an error saying what is wrong', async () => {
    await h.vault.writeAgent('alpha');
    await h.vault.writeAgent('beta');
    await h.start();
    const unknown = await h.vault.writeMessage('to nobody', 'gamma', 'Hello?');
    const noTo = await h.vault.writeMessage('to no one', undefined, 'Hello?');
    const unknownFields = await waitForStatus(h.vault, unknown, 'error');
    expect(unknownFields.error).toBe('to: no agent named "gamma" (agents: alpha, beta)');
    const noToFields = await waitForStatus(h.vault, noTo, 'error');
    expect(noToFields.error).toMatch(/^to: is missing/);
    await h.daemon.idle();
    expect(h.fake.invocations()).toHaveLength(0);
  });

  it('an edit to a definition applies to the next turn', async () => {
    const def = await h.vault.writeAgent('helper', { model: 'sonnet' }, 'Prompt version one.');
    await h.start();
    const first = await h.vault.writeMessage('first', 'helper', 'Hello.');
    await waitForStatus(h.vault, first, 'done');

    const loads = h.logs('agent definition loaded', { note: def }).length;
    await h.vault.writeAgent('helper', { model: 'opus' }, 'Prompt version two.');
    await waitFor(() => h.logs('agent definition loaded', { note: def }).length > loads, { what: 'definition reloaded' });
    const second = await h.vault.writeMessage('second', 'helper', 'Hello again.');
    await waitForStatus(h.vault, second, 'done');

    const [a, b] = h.fake.invocations();
    expect(argValue(a!.argv, '--append-system-prompt')).toBe('Prompt version one.');
    expect(argValue(a!.argv, '--model')).toBe('sonnet');
    expect(argValue(b!.argv, '--append-system-prompt')).toBe('Prompt version two.');
    expect(argValue(b!.argv, '--model')).toBe('opus');
    expect(argValue(b!.argv, '--resume')).toBe(argValue(a!.argv, '--session-id'));
    for (const call of [a!, b!]) expect(argValue(call.argv, '--system-prompt-snapshot')).toBe('off');
  });
});

describe('the claude process', () => {
  it('gets an environment without the variables a parent Claude Code session leaves behind', async () => {
    await h.close();
    h = await createHarness({ env: { CLAUDECODE: '1', CLAUDE_CODE_ENTRYPOINT: 'x', CLAUDE_CODE_MAX_RETRIES: '2' } });
    await h.vault.writeAgent('helper');
    await h.start();
    const msg = await h.vault.writeMessage('env', 'helper', 'What is in your environment?');
    await waitForStatus(h.vault, msg, 'done');
    const [call] = h.fake.invocations();
    expect(call!.env).not.toHaveProperty('CLAUDECODE');
    expect(call!.env).not.toHaveProperty('CLAUDE_CODE_ENTRYPOINT');
    // A choice the operator made on purpose is passed on.
    expect(call!.env.CLAUDE_CODE_MAX_RETRIES).toBe('2');
    // And the test itself did set them.
    expect(process.env.CLAUDECODE).toBe('1');
  });
});

describe('lanes', () => {
  /** [start, end] per message note: start from the fake's own log, end when the daemon reported the turn. */
  function intervals(harness: Harness): Array<{ note: string; agent: string; start: number; end: number }> {
    return harness.fake.invocations().map((call) => {
      const note = messageNoteOf(call)!;
      const done = harness.finished.find((f) => f.entry.message === note);
      if (!done) throw new Error(`no finished turn for ${note}`);
      return { note, agent: done.entry.agent, start: Date.parse(call.startedAt), end: done.at };
    });
  }

  it("one agent's messages run one at a time, in the order they arrived", async () => {
    await h.vault.writeAgent('solo');
    await h.start();
    const notes: string[] = [];
    for (const n of [1, 2, 3]) {
      const note = await h.vault.writeMessage(`m${n}`, 'solo', `Message ${n} [[fake:slow:300]]`);
      // Taken in before the next is written (on a busy machine it may be done by the time the test looks).
      await waitForStatus(h.vault, note, ['queued', 'running', 'done']);
      notes.push(note);
    }
    for (const note of notes) await waitForStatus(h.vault, note, 'done');
    await h.daemon.idle();

    const spans = intervals(h);
    expect(spans.map((s) => s.note)).toEqual(notes);
    expect(h.finished.map((f) => f.entry.message)).toEqual(notes);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    expect((await h.vault.fields('Threads/solo.md')).turn_count).toBe(3);
  });

  it('two agents run at the same time', async () => {
    await h.vault.writeAgent('left');
    await h.vault.writeAgent('right');
    await h.start();
    // Both held until both have started: on a busy machine one could start a second after the other ended.
    const a = await h.vault.writeMessage('to left', 'left', 'Take your time [[fake:gate:both]]');
    const b = await h.vault.writeMessage('to right', 'right', 'Take your time [[fake:gate:both]]');
    await waitFor(() => h.fake.invocations().length === 2, { what: 'both turns started' });
    await h.fake.openGate('both');
    await waitForStatus(h.vault, a, 'done');
    await waitForStatus(h.vault, b, 'done');
    await h.daemon.idle();
    const [x, y] = intervals(h);
    expect(x!.agent).not.toBe(y!.agent);
    // The two turns overlap in time.
    expect(Math.max(x!.start, y!.start)).toBeLessThan(Math.min(x!.end, y!.end));
  });

  it('with concurrency 1, no two turns ever run at once', async () => {
    await h.close();
    h = await createHarness({ config: { concurrency: 1 } });
    await h.vault.writeAgent('left');
    await h.vault.writeAgent('right');
    await h.start();
    const notes = [
      await h.vault.writeMessage('left 1', 'left', 'One [[fake:slow:300]]'),
      await h.vault.writeMessage('right 1', 'right', 'Two [[fake:slow:300]]'),
      await h.vault.writeMessage('left 2', 'left', 'Three [[fake:slow:300]]'),
    ];
    for (const note of notes) await waitForStatus(h.vault, note, 'done');
    await h.daemon.idle();
    const spans = intervals(h).sort((p, q) => p.start - q.start);
    expect(spans).toHaveLength(3);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
  });
});
