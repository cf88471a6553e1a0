import { describe, it, expect } from 'vitest';
import { linkTarget, targetToPath, wikilink } from '../../../src/vault/links.ts';
import { parseFrontmatter } from '../../../src/vault/frontmatter.ts';

describe('wikilink', () => {
  it('links to a vault path without its .md', () => {
    expect(wikilink('Threads/researcher.md')).toBe('[[Threads/researcher]]');
    expect(wikilink('Threads/researcher.MD')).toBe('[[Threads/researcher]]');
  });

  it('leaves a path without .md as it is', () => {
    expect(wikilink('Threads/researcher')).toBe('[[Threads/researcher]]');
  });

  it('adds an alias after |', () => {
    expect(wikilink('Inbox/q.md', 'the question')).toBe('[[Inbox/q|the question]]');
  });
});

describe('linkTarget', () => {
  it.each<[string, unknown, string | null]>([
    ['a quoted wikilink', '[[Threads/a]]', 'Threads/a'],
    ['a link with an alias', '[[Threads/a|My thread]]', 'Threads/a'],
    ['a link to a heading', '[[Threads/a#Turn 2]]', 'Threads/a'],
    ['a link to a heading with an alias', '[[Threads/a#Turn 2|t2]]', 'Threads/a'],
    ['spaces around', '  [[ Threads/a ]]  ', 'Threads/a'],
    ['a bare name', 'researcher', 'researcher'],
    ['a bare name with an alias', 'researcher|R', 'researcher'],
    ['a link with .md', '[[Threads/a.md]]', 'Threads/a.md'],
  ])('reads %s', (_label, value, expected) => {
    expect(linkTarget(value)).toBe(expected);
  });

  it('reads an unquoted [[link]] that YAML turned into a nested array', () => {
    const { data } = parseFrontmatter('---\nthread: [[Threads/a]]\nto: [[Agents/researcher|R]]\n---\n');
    expect(linkTarget(data.thread)).toBe('Threads/a');
    expect(linkTarget(data.to)).toBe('Agents/researcher');
  });

  it('is null for values that are not links', () => {
    expect(linkTarget(undefined)).toBeNull();
    expect(linkTarget(null)).toBeNull();
    expect(linkTarget('')).toBeNull();
    expect(linkTarget('   ')).toBeNull();
    expect(linkTarget(5)).toBeNull();
    expect(linkTarget(['a', 'b'])).toBeNull();
    expect(linkTarget({ a: 1 })).toBeNull();
  });

  it('is null for a link to a heading of the same note', () => {
    expect(linkTarget('[[#Heading]]')).toBeNull();
  });
});

describe('targetToPath', () => {
  it('adds .md to a link target', () => {
    expect(targetToPath('Threads/researcher')).toBe('Threads/researcher.md');
    expect(targetToPath('Notes/v1.2')).toBe('Notes/v1.2.md');
  });

  it('keeps a target that already ends in .md, in any case', () => {
    expect(targetToPath('Threads/a.md')).toBe('Threads/a.md');
    expect(targetToPath('Threads/a.MD')).toBe('Threads/a.MD');
  });

  it('goes back and forth with wikilink', () => {
    expect(targetToPath(linkTarget(wikilink('Threads/researcher/2026-01-01 0900 a.md'))!)).toBe('Threads/researcher/2026-01-01 0900 a.md');
  });
});
