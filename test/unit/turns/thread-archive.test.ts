// A thread note that keeps its latest turn, the turns before it appended to its archive: real temp vault and
// store, turn records written as a finished turn (or a replay after a crash) writes them.
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../../src/state/journal.ts';
import { ARCHIVE_PART_BYTES, archivePartOf, newArchivePart, splitOlderTurns, withArchiveEmbed } from '../../../src/threads/thread-archive.ts';
import { newThreadNote, renderTurn } from '../../../src/threads/thread-note.ts';
import { writeTurnNotes } from '../../../src/turns/turn-notes.ts';
import { createStageKit, type StageKit } from '../../helpers/stage-kit.ts';
import { resultRecord } from '../../helpers/result-record.ts';

let kit: StageKit;
beforeEach(async () => {
  kit = await createStageKit();
  await kit.defineAgent('helper');
});
afterEach(() => kit.cleanup());

const PART_1 = 'Threads/Archive/helper, part 1.md';
const PART_2 = 'Threads/Archive/helper, part 2.md';

/** Turn `n` of helper's thread, as the n-th finished turn records it. */
function turn(n: number, over: Partial<ResultRecord> = {}): ResultRecord {
  const before = resultRecord().threadBefore;
  return resultRecord({
    msg: `Inbox/q${n}.md`,
    reply: `Outbox/r${n}.md`,
    text: `Answer ${n}.`,
    body: `Question ${n}?`,
    session: '11111111-1111-1111-1111-111111111111',
    threadBefore: { ...before, turnCount: n - 1, session: n > 1 ? '11111111-1111-1111-1111-111111111111' : undefined },
    ...over,
  });
}

async function turns(from: number, to: number, over: (n: number) => Partial<ResultRecord> = () => ({})): Promise<void> {
  for (let n = from; n <= to; n++) await writeTurnNotes(kit.turnNotes, turn(n, over(n)));
}

describe('a thread note keeps its latest turn; the turns before it move to its archive', () => {
  it('the first turn stays in the thread note and makes no archive', async () => {
    await turns(1, 1);
    expect(await kit.vault.body('Threads/helper.md')).toContain('## Turn 1 · ');
    expect(await kit.vault.list('Threads/Archive')).toEqual([]);
    expect((await kit.vault.fields('Threads/helper.md')).archive).toBeUndefined();
  });

  it('each later turn moves the one before it to the archive, in order, and the thread note shows the archive above its latest turn', async () => {
    await turns(1, 4);
    const body = await kit.vault.body('Threads/helper.md');
    expect(body.match(/^## Turn \d+ · /gm)).toEqual(['## Turn 4 · ']);
    expect(body).toContain('Answer 4.');
    // The embed of the current part, once, just above the latest turn.
    expect(body.match(/!\[\[Threads\/Archive\/helper, part 1\]\]/g)).toHaveLength(1);
    expect(body.indexOf('![[Threads/Archive/helper, part 1]]')).toBeLessThan(body.indexOf('## Turn 4 · '));
    expect(await kit.vault.fields('Threads/helper.md')).toMatchObject({ archive: '[[Threads/Archive/helper, part 1]]', turn_count: 4 });

    const archive = await kit.vault.read(PART_1);
    expect(await kit.vault.fields(PART_1)).toMatchObject({ tags: ['agent/thread-archive'], agent: 'helper', thread: '[[Threads/helper]]', part: 1 });
    expect(archive.match(/^## Turn \d+ · /gm)).toEqual(['## Turn 1 · ', '## Turn 2 · ', '## Turn 3 · ']);
    for (const n of [1, 2, 3]) expect(archive).toContain(`Question ${n}?`);
  });

  it('the thread note stays the size of one turn however many turns it has had', async () => {
    await turns(1, 3);
    const after3 = (await kit.vault.read('Threads/helper.md')).length;
    await turns(4, 60);
    const after60 = (await kit.vault.read('Threads/helper.md')).length;
    // Only the digits of the counters and the turn number grow.
    expect(after60 - after3).toBeLessThan(20);
    expect((await kit.vault.read(PART_1)).match(/^## Turn \d+ · /gm)).toHaveLength(59);
  });

  it('text typed between turns goes with them, and text above the turns stays', async () => {
    await turns(1, 1);
    const raw = await kit.vault.read('Threads/helper.md');
    await kit.vault.write('Threads/helper.md', raw.replace('\n## Turn 1 · ', '\nMy heading note.\n\n## Turn 1 · ') + '\nMy comment on turn 1.\n');
    await turns(2, 2);
    const body = await kit.vault.body('Threads/helper.md');
    expect(body).toContain('My heading note.');
    expect(body).not.toContain('My comment on turn 1.');
    expect(await kit.vault.read(PART_1)).toContain('My comment on turn 1.');
  });

  it('a part closes once it holds ARCHIVE_PART_BYTES: the next turns go to the next part, which links back, and the thread note shows it', async () => {
    const long = 'x'.repeat(ARCHIVE_PART_BYTES / 3);
    await turns(1, 6, () => ({ text: long }));
    const body = await kit.vault.body('Threads/helper.md');
    expect(body).toContain('![[Threads/Archive/helper, part 2]]');
    expect(body).not.toContain('part 1]]');
    expect((await kit.vault.fields('Threads/helper.md')).archive).toBe('[[Threads/Archive/helper, part 2]]');
    expect(await kit.vault.body(PART_2)).toContain('[[Threads/Archive/helper, part 1]]');
    const inOne = (await kit.vault.read(PART_1)).match(/^## Turn \d+ · /gm)!;
    const inTwo = (await kit.vault.read(PART_2)).match(/^## Turn \d+ · /gm)!;
    expect([...inOne, ...inTwo]).toEqual([1, 2, 3, 4, 5].map((n) => `## Turn ${n} · `));
  });

  it('a turn written again after a crash (the archive written, the thread note not) appends nothing twice', async () => {
    await turns(1, 2);
    const thread = await kit.vault.read('Threads/helper.md');
    await turns(3, 3);
    const archive = await kit.vault.read(PART_1);
    // The crash: the thread note as it was before turn 3's write, the archive already holding turn 2.
    await kit.vault.write('Threads/helper.md', thread);
    await writeTurnNotes(kit.turnNotes, turn(3));
    expect(await kit.vault.read(PART_1)).toBe(archive);
    expect((await kit.vault.body('Threads/helper.md')).match(/^## Turn \d+ · /gm)).toEqual(['## Turn 3 · ']);
  });

  it('a thread note of an older version, with every turn in it, moves them all to the archive at its next turn', async () => {
    const old = newThreadNote('helper', 'single-threaded', new Date('2026-06-01T09:00:00Z')).replace(/Its latest turn[^\n]*/, 'Each turn is appended below.');
    const records = Array.from({ length: 40 }, (_, i) =>
      renderTurn({ number: i + 1, at: new Date('2026-06-01T09:00:00Z'), from: 'user', messagePath: `Inbox/old${i + 1}.md`, messageText: `Old ${i + 1}?`, replyPath: `Outbox/old${i + 1}.md`, replyText: `Old answer ${i + 1}.`, ok: true, tools: [], costUsd: 0, durationMs: 0, notices: [] }),
    );
    await kit.vault.write('Threads/helper.md', old + records.join(''));
    await writeTurnNotes(kit.turnNotes, turn(41));
    const body = await kit.vault.body('Threads/helper.md');
    expect(body).toContain('Each turn is appended below.');
    expect(body.match(/^## Turn \d+ · /gm)).toEqual(['## Turn 41 · ']);
    expect((await kit.vault.read(PART_1)).match(/^## Turn \d+ · /gm)).toHaveLength(40);
  });
});

describe('what a thread note or a vault may hold does not lead the archive elsewhere', () => {
  it('an archive: field naming another note (an agent definition, a path out of the vault) is not followed', async () => {
    await turns(1, 1);
    const definition = await kit.vault.read('Agents/helper.md');
    const targets = ['[[Agents/helper]]', '[[../../outside, part 1]]', '[[Threads/Archive/other, part 1]]', '[[Threads/Archive/helper, part 1/../../../Agents/helper]]'];
    for (const [i, target] of targets.entries()) {
      expect(archivePartOf('Threads/helper.md', target)).toBeUndefined();
      await kit.store.update('Threads/helper.md', { archive: target });
      await turns(i + 2, i + 2);
      expect((await kit.vault.fields('Threads/helper.md')).archive).toBe('[[Threads/Archive/helper, part 1]]');
    }
    expect(await kit.vault.read('Agents/helper.md')).toBe(definition);
    expect((await kit.vault.read(PART_1)).match(/^## Turn \d+ · /gm)).toHaveLength(targets.length);
    expect(kit.logger.lines.filter((l) => l.msg.includes('no longer reads as a thread'))).toEqual([]);
  });

  it('a note at a part name that is not this thread archive is passed over for the next part, and left as it is', async () => {
    await kit.vault.write(PART_1, '---\ntags: [project]\n---\nMy own note.\n');
    await turns(1, 2);
    expect(await kit.vault.read(PART_1)).toBe('---\ntags: [project]\n---\nMy own note.\n');
    expect(await kit.vault.read(PART_2)).toContain('Question 1?');
    expect((await kit.vault.fields('Threads/helper.md')).archive).toBe('[[Threads/Archive/helper, part 2]]');
  });

  it('a part that is a symbolic link is never written through', async () => {
    await kit.vault.write('Notes/target.md', 'Mine.\n');
    await kit.vault.write('Threads/Archive/keep.md', 'x');
    await symlink(path.join(kit.vault.root, 'Notes/target.md'), path.join(kit.vault.root, PART_1));
    await turns(1, 2);
    expect(await kit.vault.read('Notes/target.md')).toBe('Mine.\n');
    expect(await kit.vault.read(PART_2)).toContain('Question 1?');
  });
});

describe('the archive text', () => {
  it('only a part of this very thread, by its full name, is taken from archive:', () => {
    expect(archivePartOf('Threads/helper.md', '[[Threads/Archive/helper, part 3]]')).toBe(3);
    expect(archivePartOf('Threads/helper.md', 'Threads/Archive/helper, part 3.md')).toBe(3);
    expect(archivePartOf('Threads/helper.md', '[[Archive/helper, part 3]]')).toBeUndefined();
    expect(archivePartOf('Threads/helper.md', '[[Threads/Archive/helper, part 0]]')).toBeUndefined();
    expect(archivePartOf('Threads/m/2026 a.md', '[[Threads/m/Archive/2026 a, part 12]]')).toBe(12);
    expect(archivePartOf('Threads/helper.md', 42)).toBeUndefined();
  });

  it('the split never looks for turns in the frontmatter, and keeps the turn just recorded with what follows it', () => {
    const raw = '---\nx: "## Turn 1 · "\n---\n# t\n\n## Turn 1 · a\none\n\n## Turn 2 · b\ntwo\nafter\n';
    const bodyStart = raw.indexOf('# t');
    const at = raw.indexOf('## Turn 2');
    expect(splitOlderTurns(raw, bodyStart, at)).toEqual({ head: raw.slice(0, raw.indexOf('## Turn 1 · a')), older: '## Turn 1 · a\none\n\n', rest: '## Turn 2 · b\ntwo\nafter\n' });
    expect(splitOlderTurns(raw, bodyStart, raw.indexOf('## Turn 1 · a')).older).toBe('');
  });

  it('the embed of a new part replaces the one of an earlier part, and no other line', () => {
    const head = '---\na: 1\n---\n# t\n\n![[Threads/Archive/t, part 1]]\n![[Notes/mine]]\n\n';
    expect(withArchiveEmbed(head, 'Threads/t.md', 'Threads/Archive/t, part 2.md')).toBe('---\na: 1\n---\n# t\n\n![[Notes/mine]]\n\n![[Threads/Archive/t, part 2]]\n');
  });

  it('a new part says whose turns it holds and links the part before it', () => {
    expect(newArchivePart('Threads/t.md', 't', 2)).toContain('Earlier turns: [[Threads/Archive/t, part 1]].');
    expect(newArchivePart('Threads/t.md', 't', 1)).not.toContain('Earlier turns:');
  });
});
