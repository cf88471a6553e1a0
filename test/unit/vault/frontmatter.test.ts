import { describe, it, expect } from 'vitest';
import {
  FrontmatterError,
  locateFrontmatter,
  parseFrontmatter,
  renderValue,
  stringifyNote,
  updateFrontmatterText,
} from '../../../src/vault/frontmatter.ts';

/** A note as a user writes it: comments, mixed quoting, a flow list, a blank line, and a body with its own `---`. */
const USER_NOTE = [
  '---',
  '# my own comment',
  'tags: [agent/message/inbound, project/x]',
  "to: 'researcher'",
  'title: "Hello: world"   # trailing comment',
  '',
  'status: ready',
  'zzz_last: kept',
  '---',
  'Body here',
  '---',
  'more body',
  '',
].join('\n');

describe('parseFrontmatter', () => {
  it('reads fields and the body after the closing line', () => {
    const parsed = parseFrontmatter(USER_NOTE);
    expect(parsed.hasFrontmatter).toBe(true);
    expect(parsed.data).toEqual({
      tags: ['agent/message/inbound', 'project/x'],
      to: 'researcher',
      title: 'Hello: world',
      status: 'ready',
      zzz_last: 'kept',
    });
    expect(parsed.body).toBe('Body here\n---\nmore body\n');
  });

  it('a note without frontmatter has no fields and its whole text as body', () => {
    expect(parseFrontmatter('# Title\n\ntext\n')).toEqual({ data: {}, body: '# Title\n\ntext\n', hasFrontmatter: false });
  });

  it('an empty frontmatter block gives no fields', () => {
    expect(parseFrontmatter('---\n---\nbody')).toEqual({ data: {}, body: 'body', hasFrontmatter: true });
  });

  it('reads CRLF notes without a trailing \\r on any value', () => {
    const parsed = parseFrontmatter('---\r\ntags: [a]\r\nstatus: ready\r\nn: 1\r\n---\r\nbody\r\n');
    expect(parsed.data).toEqual({ tags: ['a'], status: 'ready', n: 1 });
    expect(parsed.body).toBe('body\r\n');
  });

  it('reads a note that starts with a byte-order mark', () => {
    const parsed = parseFrontmatter('\uFEFF---\nstatus: ready\n---\nbody\n');
    expect(parsed.data).toEqual({ status: 'ready' });
    expect(parsed.body).toBe('body\n');
  });

  it('drops the byte-order mark from the body of a note without frontmatter', () => {
    expect(parseFrontmatter('\uFEFFhello').body).toBe('hello');
  });

  it('keeps dates and date-times as the strings the user typed', () => {
    const { data } = parseFrontmatter('---\nday: 2024-01-15\nat: 2024-01-15T10:00:00Z\n---\n');
    expect(data.day).toBe('2024-01-15');
    expect(data.at).toBe('2024-01-15T10:00:00Z');
  });

  it('reads an unquoted 01234 as the number 1234 (YAML 1.2: no octal), and a quoted one as text', () => {
    const { data } = parseFrontmatter('---\nzip: 01234\nquoted: "01234"\n---\n');
    expect(data.zip).toBe(1234);
    expect(data.quoted).toBe('01234');
  });

  it('reads yes/no as text, not booleans (YAML 1.2)', () => {
    expect(parseFrontmatter('---\na: yes\nb: no\n---\n').data).toEqual({ a: 'yes', b: 'no' });
  });

  it('reads an unquoted [[Link]] as a nested array and a quoted one as text', () => {
    const { data } = parseFrontmatter('---\nbare: [[Threads/a]]\nquoted: "[[Threads/a]]"\n---\n');
    expect(data.bare).toEqual([['Threads/a']]);
    expect(data.quoted).toBe('[[Threads/a]]');
  });

  it('reads `tags: #foo` as nothing: an unquoted # starts a YAML comment', () => {
    expect(parseFrontmatter('---\ntags: #foo\n---\n').data).toEqual({ tags: null });
  });

  it('throws a FrontmatterError saying the closing line is missing', () => {
    expect(() => parseFrontmatter('---\nstatus: ready\nbody text\n')).toThrow(FrontmatterError);
    expect(() => parseFrontmatter('---\nstatus: ready\nbody text\n')).toThrow(
      'the frontmatter starts with "---" but has no closing "---" line',
    );
  });

  it('refuses a frontmatter that is a YAML list', () => {
    expect(() => parseFrontmatter('---\n- a\n- b\n---\nbody')).toThrow(FrontmatterError);
    expect(() => parseFrontmatter('---\n- a\n- b\n---\nbody')).toThrow('the frontmatter must be a list of "field: value" lines');
  });

  it('refuses a frontmatter that is a bare sentence', () => {
    expect(() => parseFrontmatter('---\njust some text\n---\n')).toThrow(FrontmatterError);
  });

  it('refuses duplicate keys, naming the problem', () => {
    expect(() => parseFrontmatter('---\nstatus: ready\nstatus: done\n---\n')).toThrow(FrontmatterError);
    expect(() => parseFrontmatter('---\nstatus: ready\nstatus: done\n---\n')).toThrow(/not valid YAML: Map keys must be unique/);
  });

  it('reports invalid YAML on one line', () => {
    let message = '';
    try {
      parseFrontmatter('---\na: "unclosed\nb: 1\n---\n');
    } catch (error) {
      expect(error).toBeInstanceOf(FrontmatterError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^the frontmatter is not valid YAML: /);
    expect(message).not.toContain('\n');
  });

  it("does not share gray-matter's cache: changing one result leaves the next parse of the same text alone", () => {
    const text = '---\nstatus: ready\ntags: [a]\n---\nbody\n';
    const first = parseFrontmatter(text);
    first.data.status = 'mutated';
    (first.data.tags as string[]).push('b');
    const second = parseFrontmatter(text);
    expect(second.data).toEqual({ status: 'ready', tags: ['a'] });
    expect(second.data).not.toBe(first.data);
  });
});

describe('locateFrontmatter', () => {
  it('gives the offsets of the YAML text and the body', () => {
    expect(locateFrontmatter('---\na: 1\n---\nbody')).toEqual({ yamlStart: 4, yamlEnd: 9, bodyStart: 13, eol: '\n' });
  });

  it('closes where gray-matter (and Obsidian) close: the first line starting with ---, not `...`', () => {
    expect(() => locateFrontmatter('---\na: 1\n...\nbody')).toThrow(FrontmatterError);
    expect(locateFrontmatter('---\na: 1\n--- # end\nbody')).toEqual({ yamlStart: 4, yamlEnd: 9, bodyStart: 19, eol: '\n' });
  });

  it('a frontmatter written as one flow map gets new fields and stays valid', () => {
    const out = updateFrontmatterText('---\n{tags: [agent/message/inbound], to: alpha}\n---\nbody\n', { status: 'queued' });
    expect(parseFrontmatter(out).data).toEqual({ tags: ['agent/message/inbound'], to: 'alpha', status: 'queued' });
    expect(parseFrontmatter(out).body).toBe('body\n');
  });

  it('an empty block closes right after the opening line', () => {
    expect(locateFrontmatter('---\n---\nbody')).toEqual({ yamlStart: 4, yamlEnd: 4, bodyStart: 8, eol: '\n' });
  });

  it('reports CRLF line ends', () => {
    expect(locateFrontmatter('---\r\na: 1\r\n---\r\nbody')?.eol).toBe('\r\n');
  });

  it('skips a byte-order mark before the opening line', () => {
    expect(locateFrontmatter('\uFEFF---\na: 1\n---\n')?.yamlStart).toBe(5);
  });

  it('is null for a note whose first line is not ---', () => {
    expect(locateFrontmatter('# Title\n---\na: 1\n---\n')).toBeNull();
    expect(locateFrontmatter('')).toBeNull();
  });

  it('throws FrontmatterError when the block is never closed', () => {
    expect(() => locateFrontmatter('---\na: 1\n')).toThrow(FrontmatterError);
  });
});

describe('updateFrontmatterText', () => {
  it('changing one field keeps every other byte of the note identical', () => {
    expect(updateFrontmatterText(USER_NOTE, { status: 'queued' })).toBe(USER_NOTE.replace('status: ready', 'status: queued'));
  });

  it('changing a quoted field writes the new value and keeps the trailing comment', () => {
    expect(updateFrontmatterText('---\nstatus: ready # mine\nx: 1\n---\nbody\n', { status: 'done' })).toBe(
      '---\nstatus: done # mine\nx: 1\n---\nbody\n',
    );
  });

  it('changing a field that was written quoted keeps the key as the user spelled it', () => {
    expect(updateFrontmatterText('---\n"status": ready\n---\n', { status: 'done' })).toBe('---\n"status": done\n---\n');
  });

  it('changing a field leaves a nested key of the same name alone', () => {
    expect(updateFrontmatterText('---\nobj:\n  status: x\nstatus: ready\n---\n', { status: 'done' })).toBe(
      '---\nobj:\n  status: x\nstatus: done\n---\n',
    );
  });

  it('a new field is appended just before the closing ---', () => {
    expect(updateFrontmatterText(USER_NOTE, { queued_at: '2024-01-15T10:00:00+00:00' })).toBe(
      USER_NOTE.replace('zzz_last: kept\n', 'zzz_last: kept\nqueued_at: 2024-01-15T10:00:00+00:00\n'),
    );
  });

  it('several new fields are appended in the order given', () => {
    expect(updateFrontmatterText('---\na: 1\n---\nbody\n', { b: 2, c: 'three' })).toBe('---\na: 1\nb: 2\nc: three\n---\nbody\n');
  });

  it('a new field goes into an empty frontmatter block', () => {
    expect(updateFrontmatterText('---\n---\nbody', { a: 1 })).toBe('---\na: 1\n---\nbody');
    expect(updateFrontmatterText('---\r\n---\r\nbody', { a: 1 })).toBe('---\r\na: 1\r\n---\r\nbody');
  });

  it('a note without frontmatter gets a new block on top, body untouched', () => {
    expect(updateFrontmatterText('# Title\nbody\n', { status: 'queued' })).toBe('---\nstatus: queued\n---\n# Title\nbody\n');
  });

  it('a CRLF note without frontmatter gets a CRLF block', () => {
    expect(updateFrontmatterText('line1\r\nline2\r\n', { a: 1 })).toBe('---\r\na: 1\r\n---\r\nline1\r\nline2\r\n');
  });

  it('a note without frontmatter keeps its byte-order mark first', () => {
    expect(updateFrontmatterText('\uFEFFbody\n', { a: 1 })).toBe('\uFEFF---\na: 1\n---\nbody\n');
  });

  it('removing a field that a note without frontmatter never had changes nothing', () => {
    expect(updateFrontmatterText('body\n', { error: undefined })).toBe('body\n');
  });

  it('removing a field (value undefined) removes its whole line', () => {
    expect(updateFrontmatterText(USER_NOTE, { to: undefined })).toBe(USER_NOTE.replace("to: 'researcher'\n", ''));
  });

  it('removing a field with a trailing comment removes the comment with it', () => {
    expect(updateFrontmatterText(USER_NOTE, { title: undefined })).toBe(
      USER_NOTE.replace('title: "Hello: world"   # trailing comment\n', ''),
    );
  });

  it('removing an empty `error:` line removes the line', () => {
    expect(updateFrontmatterText('---\na: 1\nerror:\nb: 2\n---\nx\n', { error: undefined })).toBe('---\na: 1\nb: 2\n---\nx\n');
  });

  it('removing an empty `error:` that is the last line removes the line', () => {
    expect(updateFrontmatterText('---\na: 1\nerror:\n---\nx\n', { error: undefined })).toBe('---\na: 1\n---\nx\n');
  });

  it('removing a multi-line block value removes all of its lines', () => {
    expect(updateFrontmatterText('---\na: 1\nerror: |\n  line one\n  line two\nb: 2\n---\nx\n', { error: undefined })).toBe(
      '---\na: 1\nb: 2\n---\nx\n',
    );
  });

  it('removing a block list removes all of its items', () => {
    expect(updateFrontmatterText('---\na: 1\ntags:\n  - x\n  - y\nb: 2\n---\nx\n', { tags: undefined })).toBe('---\na: 1\nb: 2\n---\nx\n');
  });

  it('removing a field the note does not have changes nothing', () => {
    expect(updateFrontmatterText(USER_NOTE, { error: undefined })).toBe(USER_NOTE);
  });

  it('filling an empty `error:` line writes the value on that line', () => {
    expect(updateFrontmatterText('---\na: 1\nerror:\nb: 2\n---\nx\n', { error: 'bad' })).toBe('---\na: 1\nerror: bad\nb: 2\n---\nx\n');
  });

  it('replacing a multi-line block value keeps the next field on its own line', () => {
    const raw = '---\na: 1\nerror: |\n  line one\n  line two\nb: 2\n---\nx\n';
    const next = updateFrontmatterText(raw, { error: 'short' });
    expect(next).toBe('---\na: 1\nerror: short\nb: 2\n---\nx\n');
    expect(parseFrontmatter(next).data).toEqual({ a: 1, error: 'short', b: 2 });
  });

  it('replacing a block list keeps the next field on its own line', () => {
    const raw = '---\na: 1\ntags:\n  - x\n  - y\nb: 2\n---\nx\n';
    expect(updateFrontmatterText(raw, { tags: ['z'] })).toBe('---\na: 1\ntags: [z]\nb: 2\n---\nx\n');
  });

  it('a CRLF note stays CRLF when a field changes, is added and is removed', () => {
    const crlf = '---\r\ntags: [a]\r\nstatus: ready\r\nerror: old\r\nn: 1\r\n---\r\nbody\r\n';
    expect(updateFrontmatterText(crlf, { status: 'queued', error: undefined, added: 'x' })).toBe(
      '---\r\ntags: [a]\r\nstatus: queued\r\nn: 1\r\nadded: x\r\n---\r\nbody\r\n',
    );
  });

  it('a CRLF note loses a whole block value, CR and all', () => {
    expect(updateFrontmatterText('---\r\na: 1\r\nerror: |\r\n  l1\r\n  l2\r\nb: 2\r\n---\r\nx\r\n', { error: undefined })).toBe(
      '---\r\na: 1\r\nb: 2\r\n---\r\nx\r\n',
    );
  });

  it('a CRLF note with an empty `error:` line can be filled and cleared', () => {
    const raw = '---\r\na: 1\r\nerror:\r\nb: 2\r\n---\r\nx\r\n';
    expect(updateFrontmatterText(raw, { error: 'z' })).toBe('---\r\na: 1\r\nerror: z\r\nb: 2\r\n---\r\nx\r\n');
    expect(updateFrontmatterText(raw, { error: undefined })).toBe('---\r\na: 1\r\nb: 2\r\n---\r\nx\r\n');
  });

  it('keeps the byte-order mark', () => {
    expect(updateFrontmatterText('\uFEFF---\nstatus: ready\n---\nbody\n', { status: 'done' })).toBe('\uFEFF---\nstatus: done\n---\nbody\n');
  });

  it('adds a line to a note with no line end after the closing ---', () => {
    expect(updateFrontmatterText('---\na: 1\n---', { b: 2 })).toBe('---\na: 1\nb: 2\n---');
  });

  it('writes wikilinks quoted so Obsidian sees links, not nested lists', () => {
    const next = updateFrontmatterText('---\nstatus: ready\n---\n', { thread: '[[Threads/a]]' });
    expect(next).toBe('---\nstatus: ready\nthread: "[[Threads/a]]"\n---\n');
    expect(parseFrontmatter(next).data.thread).toBe('[[Threads/a]]');
  });

  it('replaces an unquoted [[link]] with a quoted one', () => {
    expect(updateFrontmatterText('---\nthread: [[Threads/old]]\n---\n', { thread: '[[Threads/new]]' })).toBe(
      '---\nthread: "[[Threads/new]]"\n---\n',
    );
  });

  it('a single-line error with a colon and a # survives a round trip', () => {
    const error = 'schedule: "0 25 * * *" is not valid # hour 25';
    const next = updateFrontmatterText('---\nstatus: ready\nafter: 1\n---\nb\n', { error });
    expect(parseFrontmatter(next).data).toEqual({ status: 'ready', error, after: 1 });
  });

  it.each([
    ['two lines', 'first line\nsecond line'],
    ['a blank line between', 'first\n\nsecond'],
    ['colons, hashes, quotes and indentation', 'Line one: bad\n  indented # hash\n"quoted"\n'],
    ['a trailing newline', 'a\nb\n'],
  ])('a multi-line error (%s) stays valid YAML and reads back the same', (_label, error) => {
    const raw = '---\nstatus: ready\nafter: 1\n---\nbody\n';
    const added = updateFrontmatterText(raw, { error });
    expect(parseFrontmatter(added).data).toEqual({ status: 'ready', error, after: 1 });
    const replaced = updateFrontmatterText('---\nstatus: ready\nerror: old\nafter: 1\n---\nbody\n', { error });
    expect(parseFrontmatter(replaced).data).toEqual({ status: 'ready', error, after: 1 });
  });

  it('throws FrontmatterError for an unclosed block instead of guessing', () => {
    expect(() => updateFrontmatterText('---\na: 1\nbody', { a: 2 })).toThrow(FrontmatterError);
  });

  it('throws FrontmatterError for a frontmatter that is a YAML list', () => {
    expect(() => updateFrontmatterText('---\n- a\n---\n', { a: 1 })).toThrow(FrontmatterError);
  });

  it('throws FrontmatterError for duplicate keys rather than editing one of them', () => {
    expect(() => updateFrontmatterText('---\na: 1\na: 2\n---\n', { a: 3 })).toThrow(FrontmatterError);
  });
});

describe('renderValue', () => {
  it.each<[unknown, string]>([
    ['[[Threads/a]]', '"[[Threads/a]]"'],
    ['a: b', '"a: b"'],
    ['x # y', '"x # y"'],
    ['01234', '"01234"'],
    ['true', '"true"'],
    ['null', '"null"'],
    ['', '""'],
    ['- item', '"- item"'],
    ['  leading space', '"  leading space"'],
    ['plain words', 'plain words'],
    ['café ✓', 'café ✓'],
    [42, '42'],
    [true, 'true'],
    [null, 'null'],
    [['a', 'b'], '[a, b]'],
    [['[[x]]'], '["[[x]]"]'],
  ])('renders %j as %s', (value, expected) => {
    expect(renderValue(value)).toBe(expected);
  });

  it('renders a multi-line string on one line, so it can sit after a key', () => {
    const rendered = renderValue('first line\nsecond line');
    expect(rendered).not.toContain('\n');
    expect(parseFrontmatter(`---\nv: ${rendered}\nw: 1\n---\n`).data).toEqual({ v: 'first line\nsecond line', w: 1 });
  });

  it('renders a value that reads back as the same value', () => {
    for (const value of ['[[Threads/a]]', 'a: b', 'x # y', '01234', 'yes', '2024-01-15', "it's", '"q"', '%p', '@at']) {
      expect(parseFrontmatter(`---\nv: ${renderValue(value)}\n---\n`).data.v).toBe(value);
    }
  });
});

describe('stringifyNote', () => {
  it('writes a new note with quoted links, a block tag list and the body', () => {
    expect(stringifyNote({ tags: ['agent/thread'], thread: '[[Threads/a]]', n: 1, day: '2024-01-15' }, 'body')).toBe(
      '---\ntags:\n  - agent/thread\nthread: "[[Threads/a]]"\nn: 1\nday: 2024-01-15\n---\nbody\n',
    );
  });

  it('a body that starts with a --- line stays the body, not merged into the fields', () => {
    const body = '---\nx: 1\n---\nrest\n';
    const parsed = parseFrontmatter(stringifyNote({ a: 1 }, body));
    expect(parsed.data).toEqual({ a: 1 });
    expect(parsed.body).toBe(body);
  });

  it('a body that starts with a horizontal rule keeps its text', () => {
    const body = '---\n\nAfter a rule\n';
    const parsed = parseFrontmatter(stringifyNote({ a: 1 }, body));
    expect(parsed.data).toEqual({ a: 1 });
    expect(parsed.body).toBe(body);
  });

  it('leaves out fields whose value is undefined', () => {
    expect(stringifyNote({ a: 1, skip: undefined }, 'x\n')).toBe('---\na: 1\n---\nx\n');
  });

  it('reads back as the same fields and body', () => {
    const data = { tags: ['agent/message/outbound'], from: 'researcher', error: 'line one\nline two: x', link: '[[Inbox/q]]' };
    const parsed = parseFrontmatter(stringifyNote(data, 'The reply.\n'));
    expect(parsed.data).toEqual(data);
    expect(parsed.body).toBe('The reply.\n');
  });
});

describe('a frontmatter block indented as a whole', () => {
  it('gets new fields at the same indentation, so it stays valid YAML', () => {
    const raw = '---\n  tags: [agent/message/inbound]\n  status: ready\n---\nbody\n';
    const out = updateFrontmatterText(raw, { status: 'queued', queued_at: '2026-01-01T00:00:00+00:00' });
    expect(out).toBe('---\n  tags: [agent/message/inbound]\n  status: queued\n  queued_at: 2026-01-01T00:00:00+00:00\n---\nbody\n');
    expect(parseFrontmatter(out).data.queued_at).toBe('2026-01-01T00:00:00+00:00');
  });
});
