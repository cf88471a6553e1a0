import { describe, expect, it } from 'vitest';
import {
  appendSection,
  hasLiveBlock,
  renderLiveBlock,
  replaceLiveBlock,
  runningFor,
  withoutLiveBlocks,
  withTurnRecord,
  type LiveTurnView,
} from '../../../src/threads/live-block.ts';
import { newThreadNote, renderTurn } from '../../../src/threads/thread-note.ts';

const STARTED = new Date(Date.UTC(2026, 10, 21, 19, 36, 5));
const at = (seconds: number) => new Date(STARTED.getTime() + seconds * 1000);
const NOTE = newThreadNote('researcher', 'single-threaded', STARTED);

function view(over: Partial<LiveTurnView> = {}): LiveTurnView {
  return { number: 4, from: 'user', messagePath: 'Inbox/What is Scriptorium.md', startedAt: STARTED, tools: [], lastActivity: undefined, ...over };
}

function record(number = 4): string {
  return renderTurn({
    number,
    at: at(200),
    from: 'user',
    messagePath: 'Inbox/What is Scriptorium.md',
    messageText: 'What is it?',
    replyPath: 'Outbox/2026-11-21 193925 researcher - What is Scriptorium.md',
    replyText: 'A daemon.',
    ok: true,
    tools: ['Read', 'Read'],
    costUsd: 0.0123,
    durationMs: 200_000,
    notices: [],
  });
}

describe('renderLiveBlock', () => {
  it('shows the turn as running: start, time so far, the tools in order with counts, the last activity, no cost yet', () => {
    const block = renderLiveBlock(
      view({ tools: ['Read', 'Read', 'Read', 'Write', 'mcp__github__search', 'mcp__github__search'], lastActivity: { at: at(130), what: 'mcp__github__search' } }),
      at(150),
    );
    expect(block).toBe(
      [
        '',
        '%% live turn 4: Scriptorium shows this turn here while it runs; its record replaces it %%',
        '## Turn 4 · running · from user',
        '',
        '**Message** ([[Inbox/What is Scriptorium]])',
        '',
        '- Started: 19:36:05',
        '- Running for: 2 min',
        '- Tools so far: Read ×3, Write, mcp__github__search ×2',
        '- Last activity: 19:38:15, mcp__github__search',
        '- Cost: known when the turn ends',
        `%% end of live turn 4 · ${/· ([0-9a-f]{12}) %%/.exec(block)![1]} %%`,
        '',
      ].join('\n'),
    );
  });

  it('says so when no tool has been used and nothing has happened yet', () => {
    const block = renderLiveBlock(view(), at(5));
    expect(block).toContain('- Tools so far: none\n');
    expect(block).toContain('- Last activity: none yet\n');
    expect(block).toContain('- Running for: under a minute\n');
  });

  it('keeps what it shows on one line, and never opens an Obsidian comment', () => {
    const block = renderLiveBlock(view({ lastActivity: { at: at(1), what: 'the API failed (overloaded\n%% 529 %%); retry 1 of 2' } }), at(2));
    expect(block).toContain('- Last activity: 19:36:06, the API failed (overloaded % 529 %); retry 1 of 2\n');
    expect(block.match(/%%/g)).toHaveLength(4);
  });

  it('is redacted before its hash is taken, so the redacted section is still known as untouched', () => {
    const block = renderLiveBlock(view({ from: 'sk-secret-value' }), at(2), (text) => text.replaceAll('sk-secret-value', '[redacted KEY]'));
    expect(block).toContain('from [redacted KEY]');
    expect(hasLiveBlock(NOTE + block)).toBe(true);
  });
});

describe('runningFor', () => {
  it('is coarse: under a minute, whole minutes, then hours and minutes', () => {
    expect(runningFor(59_999)).toBe('under a minute');
    expect(runningFor(60_000)).toBe('1 min');
    expect(runningFor(59 * 60_000 + 59_000)).toBe('59 min');
    expect(runningFor(65 * 60_000)).toBe('1 h 05 min');
    expect(runningFor(-5)).toBe('under a minute');
  });
});

describe('replacing the section as written', () => {
  const first = renderLiveBlock(view(), at(3));
  const second = renderLiveBlock(view({ tools: ['Read'], lastActivity: { at: at(3), what: 'Read' } }), at(6));

  it('appends it at the end of the note, and replaces only it, keeping what the user wrote around it byte for byte', () => {
    const shown = appendSection(NOTE, first);
    const edited = shown.replace('Its latest turn is below; earlier turns move to its archive notes, shown above it.\n', 'Its latest turn is below; earlier turns move to its archive notes, shown above it.\nMy own line above.\n') + 'My line below it.\n';
    const next = replaceLiveBlock(edited, first, second);
    expect(next).toBe(edited.replace(first, second));
    expect(next).toContain('My own line above.\n');
    expect(next!.endsWith(`${second}My line below it.\n`)).toBe(true);
  });

  it('adds a line break before it when the note does not end with one', () => {
    expect(appendSection('text', first)).toBe(`text\n${first}`);
  });

  it('writes nothing once the user has edited inside it or removed it', () => {
    const shown = appendSection(NOTE, first);
    expect(replaceLiveBlock(shown.replace('- Started:', '- Began:'), first, second)).toBeNull();
    expect(replaceLiveBlock(NOTE, first, second)).toBeNull();
    // Pasted twice: which one is ours cannot be told.
    expect(replaceLiveBlock(shown + first, first, second)).toBeNull();
  });
});

describe('the turn record in the place of the section', () => {
  const block = renderLiveBlock(view({ tools: ['Read'] }), at(90));

  it('gives the note a fast turn would have had: the record where the section was', () => {
    expect(withTurnRecord(appendSection(NOTE, block), 4, record())).toBe(appendSection(NOTE, record()));
  });

  it('keeps text the user added below the section below the record', () => {
    const shown = appendSection(NOTE, block) + '\nWritten while it ran.\n';
    expect(withTurnRecord(shown, 4, record())).toBe(`${appendSection(NOTE, record())}\nWritten while it ran.\n`);
  });

  it('appends the record when there is no section, or the user has edited it (then it is theirs, and stays)', () => {
    expect(withTurnRecord(NOTE, 4, record())).toBe(appendSection(NOTE, record()));
    const edited = appendSection(NOTE, block).replace('- Tools so far: Read', '- Tools so far: Read (that was quick)');
    expect(withTurnRecord(edited, 4, record())).toBe(edited + record());
    expect(hasLiveBlock(edited)).toBe(false);
  });

  it('replaces only the section of its own turn', () => {
    const other = renderLiveBlock(view({ number: 3 }), at(90));
    expect(withTurnRecord(appendSection(NOTE, other), 4, record())).toBe(appendSection(NOTE, other) + record());
  });

  it('still knows the section after a sync tool turned its line ends into CRLF', () => {
    const crlf = appendSection(NOTE, block).replace(/\n/g, '\r\n');
    expect(hasLiveBlock(crlf, 4)).toBe(true);
    expect(withoutLiveBlocks(crlf)).not.toContain('live turn');
  });
});

describe('withoutLiveBlocks', () => {
  const block = renderLiveBlock(view(), at(90));

  it('removes every untouched section, giving back the note as it was around them', () => {
    const shown = appendSection(NOTE, block) + 'After.\n';
    expect(withoutLiveBlocks(shown)).toBe(`${NOTE}After.\n`);
    expect(withoutLiveBlocks(shown, 4)).toBe(`${NOTE}After.\n`);
    expect(withoutLiveBlocks(shown, 5)).toBe(shown);
  });

  it('leaves a section whose end marker is gone, and one with text changed inside', () => {
    const noEnd = appendSection(NOTE, block.replace(/%% end of live turn[^\n]*\n/, ''));
    expect(withoutLiveBlocks(noEnd)).toBe(noEnd);
    const changed = appendSection(NOTE, block.replace('**Message**', '**The message**'));
    expect(withoutLiveBlocks(changed)).toBe(changed);
  });

  it('leaves a note without sections as it is', () => {
    expect(withoutLiveBlocks(NOTE)).toBe(NOTE);
    expect(hasLiveBlock(NOTE)).toBe(false);
  });
});
