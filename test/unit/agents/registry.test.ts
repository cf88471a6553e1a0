import { describe, it, expect } from 'vitest';
import { parseDefinition } from '../../../src/agents/definition.ts';
import { AgentRegistry } from '../../../src/agents/registry.ts';
import type { FrontmatterData } from '../../../src/vault/frontmatter.ts';

const read = (path: string, data: FrontmatterData = {}, body = '') => parseDefinition(path, data, body, '/vault');

function ownerOf(registry: AgentRegistry, name: string): string | undefined {
  const found = registry.lookup(name);
  return found.kind === 'ok' ? found.definition.path : found.kind === 'invalid' ? found.path : undefined;
}

describe('AgentRegistry lookup', () => {
  it('finds a valid definition by name', () => {
    const registry = new AgentRegistry();
    expect(registry.set('Agents/researcher.md', read('Agents/researcher.md', {}, 'Prompt.'))).toEqual([]);
    const found = registry.lookup('researcher');
    expect(found.kind).toBe('ok');
    if (found.kind === 'ok') expect(found.definition.prompt).toBe('Prompt.');
  });

  it('an invalid definition is found as invalid, with its path and problems', () => {
    const registry = new AgentRegistry();
    const problems = registry.set('Agents/w.md', read('Agents/w.md', { mode: 'fast' }));
    expect(problems).toEqual([{ field: 'mode', message: 'expected single-threaded or multi-threaded, found "fast"' }]);
    expect(registry.lookup('w')).toEqual({ kind: 'invalid', path: 'Agents/w.md', problems });
  });

  it('an unknown name is unknown', () => {
    expect(new AgentRegistry().lookup('nobody')).toEqual({ kind: 'unknown' });
  });

  it('lists names, valid definitions and definition paths', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/b.md', read('Agents/b.md'));
    registry.set('Agents/a.md', read('Agents/a.md'));
    registry.set('Agents/broken.md', read('Agents/broken.md', { mode: 'x' }));
    expect(registry.names()).toEqual(['a', 'b', 'broken']);
    expect(registry.definitions().map((d) => d.name)).toEqual(['a', 'b']);
    expect(registry.paths()).toEqual(['Agents/a.md', 'Agents/b.md', 'Agents/broken.md']);
    expect(registry.has('Agents/a.md')).toBe(true);
    expect(registry.has('Agents/c.md')).toBe(false);
  });
});

describe('AgentRegistry name claims', () => {
  it('a second definition claiming a taken name gets a name problem and does not take over', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/a.md', read('Agents/a.md', { name: 'researcher' }, 'A'));
    expect(registry.set('Agents/b.md', read('Agents/b.md', { name: 'researcher' }, 'B'))).toEqual([
      { field: 'name', message: 'the name "researcher" is already taken by Agents/a.md' },
    ]);
    expect(ownerOf(registry, 'researcher')).toBe('Agents/a.md');
    expect(registry.definitions().map((d) => d.path)).toEqual(['Agents/a.md']);
  });

  it("a newcomer's own problems are reported along with the taken name", () => {
    const registry = new AgentRegistry();
    registry.set('Agents/w.md', read('Agents/w.md'));
    expect(registry.set('Agents/w2.md', read('Agents/w2.md', { name: 'w', mode: 'x' })).map((p) => p.field)).toEqual(['mode', 'name']);
  });

  it('an edit of the first owner keeps its claim', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/a.md', read('Agents/a.md', { name: 'researcher' }, 'A'));
    registry.set('Agents/b.md', read('Agents/b.md', { name: 'researcher' }, 'B'));
    expect(registry.set('Agents/a.md', read('Agents/a.md', { name: 'researcher' }, 'A2'))).toEqual([]);
    expect(ownerOf(registry, 'researcher')).toBe('Agents/a.md');
  });

  it('an invalid first owner still holds the name', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/a.md', read('Agents/a.md', { name: 'researcher', mode: 'x' }));
    expect(registry.set('Agents/b.md', read('Agents/b.md', { name: 'researcher' })).map((p) => p.field)).toEqual(['name']);
    expect(registry.lookup('researcher').kind).toBe('invalid');
  });

  it('removing the first owner hands the name to the next claimant, which then registers cleanly', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/a.md', read('Agents/a.md', { name: 'researcher' }, 'A'));
    registry.set('Agents/b.md', read('Agents/b.md', { name: 'researcher' }, 'B'));
    registry.remove('Agents/a.md');
    expect(ownerOf(registry, 'researcher')).toBe('Agents/b.md');
    expect(registry.set('Agents/b.md', read('Agents/b.md', { name: 'researcher' }, 'B'))).toEqual([]);
    expect(registry.has('Agents/a.md')).toBe(false);
  });

  it('a removed owner that comes back is now the newcomer', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/a.md', read('Agents/a.md', { name: 'researcher' }));
    registry.set('Agents/b.md', read('Agents/b.md', { name: 'researcher' }));
    registry.remove('Agents/a.md');
    expect(registry.set('Agents/a.md', read('Agents/a.md', { name: 'researcher' }))).toEqual([
      { field: 'name', message: 'the name "researcher" is already taken by Agents/b.md' },
    ]);
    expect(ownerOf(registry, 'researcher')).toBe('Agents/b.md');
  });
});

describe('AgentRegistry edits', () => {
  it('an edit replaces the entry, so the next lookup sees it', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/e.md', read('Agents/e.md', {}, 'v1'));
    registry.set('Agents/e.md', read('Agents/e.md', { max_turns: 3 }, 'v2'));
    const found = registry.lookup('e');
    expect(found.kind === 'ok' && [found.definition.prompt, found.definition.maxTurns]).toEqual(['v2', 3]);
  });

  it('renaming an agent frees its old name', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/e.md', read('Agents/e.md'));
    registry.set('Agents/e.md', read('Agents/e.md', { name: 'e2' }));
    expect(registry.lookup('e')).toEqual({ kind: 'unknown' });
    expect(registry.lookup('e2').kind).toBe('ok');
  });

  it('an edit that breaks a definition makes it invalid, and fixing it makes it valid again', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/e.md', read('Agents/e.md'));
    registry.set('Agents/e.md', read('Agents/e.md', { timeout: 'soon' }));
    expect(registry.lookup('e').kind).toBe('invalid');
    registry.set('Agents/e.md', read('Agents/e.md', { timeout: '5m' }));
    expect(registry.lookup('e').kind).toBe('ok');
  });
});

describe('AgentRegistry after changes', () => {
  it('a renamed definition leaves its old name, a removed one its name, and the version says each change', () => {
    const changed: string[] = [];
    const registry = new AgentRegistry({ onChange: (name) => changed.push(name) });
    registry.set('Agents/a.md', read('Agents/a.md'));
    registry.set('Agents/b.md', read('Agents/b.md'));
    const before = registry.version;
    registry.set('Agents/a.md', read('Agents/a.md', { name: 'c' }));
    expect(registry.version).toBeGreaterThan(before);
    expect(registry.names()).toEqual(['b', 'c']);
    expect(registry.lookup('a')).toEqual({ kind: 'unknown' });
    expect(ownerOf(registry, 'c')).toBe('Agents/a.md');
    expect(changed.slice(-2).sort()).toEqual(['a', 'c']);
    registry.remove('Agents/b.md');
    expect(registry.names()).toEqual(['c']);
    expect(registry.definitions().map((d) => d.name)).toEqual(['c']);
    expect(registry.paths()).toEqual(['Agents/a.md']);
    expect(changed.at(-1)).toBe('b');
  });

  it('when the first claim to a name goes, the next one owns it', () => {
    const registry = new AgentRegistry();
    registry.set('Agents/one.md', read('Agents/one.md', { name: 'x' }));
    registry.set('Agents/two.md', read('Agents/two.md', { name: 'x' }));
    expect(ownerOf(registry, 'x')).toBe('Agents/one.md');
    registry.remove('Agents/one.md');
    expect(ownerOf(registry, 'x')).toBe('Agents/two.md');
    expect(registry.names()).toEqual(['x']);
  });
});
