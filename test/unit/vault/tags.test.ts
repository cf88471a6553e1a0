import { describe, it, expect } from 'vitest';
import { normalizeTags, roleOf, ROLE_TAGS } from '../../../src/vault/tags.ts';
import { parseFrontmatter } from '../../../src/vault/frontmatter.ts';

const tagsOf = (yaml: string) => parseFrontmatter(`---\n${yaml}\n---\n`).data.tags;

describe('normalizeTags', () => {
  it('reads the Obsidian list form', () => {
    expect(normalizeTags(tagsOf('tags:\n  - agent/definition\n  - project'))).toEqual(['agent/definition', 'project']);
  });

  it('reads a flow list', () => {
    expect(normalizeTags(tagsOf('tags: [agent/thread, x]'))).toEqual(['agent/thread', 'x']);
  });

  it('drops a leading # (quoted "#agent/..." form)', () => {
    expect(normalizeTags(tagsOf('tags: "#agent/message/inbound"'))).toEqual(['agent/message/inbound']);
    expect(normalizeTags(['#agent/definition', '##double'])).toEqual(['agent/definition', 'double']);
  });

  it('reads a single string', () => {
    expect(normalizeTags(tagsOf('tags: agent/thread'))).toEqual(['agent/thread']);
  });

  it('splits a comma-separated string', () => {
    expect(normalizeTags('a, b,c')).toEqual(['a', 'b', 'c']);
  });

  it('splits a space-separated string, with or without #', () => {
    expect(normalizeTags('a b  #c')).toEqual(['a', 'b', 'c']);
  });

  it('compares lower-case, as Obsidian does', () => {
    expect(normalizeTags('Agent/Message/Inbound')).toEqual(['agent/message/inbound']);
  });

  it('`tags: #foo` unquoted is a YAML comment: no tags', () => {
    expect(tagsOf('tags: #foo')).toBeNull();
    expect(normalizeTags(tagsOf('tags: #foo'))).toEqual([]);
  });

  it('no tags field means no tags', () => {
    expect(normalizeTags(undefined)).toEqual([]);
    expect(normalizeTags(null)).toEqual([]);
  });

  it('numbers become tags as text', () => {
    expect(normalizeTags(tagsOf('tags: [2024, x]'))).toEqual(['2024', 'x']);
    expect(normalizeTags(42)).toEqual(['42']);
  });

  it('flattens a nested list and ignores values that cannot be tags', () => {
    expect(normalizeTags([['a'], 'b', { c: 1 }, true, null])).toEqual(['a', 'b']);
  });
});

describe('roleOf', () => {
  it.each([
    ['agent/definition', 'definition'],
    ['agent/message/inbound', 'inbound'],
    ['agent/message/outbound', 'outbound'],
    ['agent/thread', 'thread'],
    ['agent/dashboard', 'dashboard'],
  ] as const)('%s is the %s role', (tag, role) => {
    expect(roleOf([tag])).toBe(role);
    expect(ROLE_TAGS[role]).toBe(tag);
  });

  it('reads a role in any accepted form', () => {
    expect(roleOf('#Agent/Message/Inbound')).toBe('inbound');
    expect(roleOf('project, agent/message/inbound')).toBe('inbound');
    expect(roleOf(tagsOf('tags: "#agent/definition"'))).toBe('definition');
  });

  it('an ordinary note has no role', () => {
    expect(roleOf(['project', 'todo'])).toBeNull();
    expect(roleOf(null)).toBeNull();
    expect(roleOf('agent/message')).toBeNull();
    expect(roleOf('agent/message/inbound-draft')).toBeNull();
  });

  it('a note tagged both inbound and outbound is outbound, so it never wakes an agent', () => {
    expect(roleOf(['agent/message/inbound', 'agent/message/outbound'])).toBe('outbound');
    expect(roleOf(['agent/message/outbound', 'agent/message/inbound'])).toBe('outbound');
  });

  it('a thread or definition that also carries the inbound tag never wakes an agent', () => {
    expect(roleOf(['agent/message/inbound', 'agent/thread'])).toBe('thread');
    expect(roleOf(['agent/message/inbound', 'agent/definition'])).toBe('definition');
  });
});
