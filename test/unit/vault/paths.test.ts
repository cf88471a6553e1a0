import { describe, it, expect } from 'vitest';
import path from 'node:path';
import {
  isIgnoredPath,
  isMarkdown,
  isSlug,
  resolveInVault,
  safeFileName,
  slugify,
  toVaultPath,
} from '../../../src/vault/paths.ts';

describe('isIgnoredPath', () => {
  it.each(['.obsidian/workspace.md', '.trash/old.md', '.git/x.md', '.scriptorium/tmp/a.md', 'a/.trash/x.md', 'a/b/.git/c.md', '.hidden.md', 'Inbox/.draft.md'])(
    'ignores dot-folders and dot-files at any depth: %s',
    (p) => {
      expect(isIgnoredPath(p)).toBe(true);
    },
  );

  it('ignores node_modules at any depth', () => {
    expect(isIgnoredPath('node_modules/pkg/README.md')).toBe(true);
    expect(isIgnoredPath('Projects/app/node_modules/x.md')).toBe(true);
  });

  it.each(['Inbox/q.md', 'a.b/c.md', 'v1.2 notes/x.md', 'node_modules2/x.md', 'my_node_modules/x.md'])('reads ordinary notes: %s', (p) => {
    expect(isIgnoredPath(p)).toBe(false);
  });
});

describe('isMarkdown', () => {
  it('accepts .md in any case and nothing else', () => {
    expect(isMarkdown('a.md')).toBe(true);
    expect(isMarkdown('a.MD')).toBe(true);
    expect(isMarkdown('a.markdown')).toBe(false);
    expect(isMarkdown('a.md.bak')).toBe(false);
  });
});

describe('safeFileName', () => {
  it('replaces characters Windows forbids', () => {
    expect(safeFileName('a<b>c:d"e/f\\g|h?i*j')).toBe('a b c d e f g h i j');
  });

  it('replaces characters that break Obsidian links', () => {
    expect(safeFileName('a#b^c[d]e|f')).toBe('a b c d e f');
    expect(safeFileName('What changed in [[API]] #today?')).toBe('What changed in API today');
  });

  it('replaces control characters, tabs and newlines', () => {
    expect(safeFileName('x\u0000y\u001fz\u007fw')).toBe('x y z w');
    expect(safeFileName('tab\there\nnew line')).toBe('tab here new line');
  });

  it.each(['CON', 'con', 'PRN', 'AUX', 'NUL', 'COM1', 'LPT9'])('prefixes the reserved Windows name %s', (name) => {
    expect(safeFileName(name)).toBe(`note ${name}`);
  });

  it('a reserved Windows name followed by an extension is also made safe (NUL.txt means NUL on Windows)', () => {
    expect(safeFileName('CON.txt')).not.toMatch(/^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i);
  });

  it('drops trailing dots and spaces', () => {
    expect(safeFileName('name...')).toBe('name');
    expect(safeFileName('name.  ')).toBe('name');
    expect(safeFileName('v1. next.')).toBe('v1. next');
  });

  it('drops leading dots and dashes, so the note is neither hidden nor read as an option', () => {
    expect(safeFileName('.env')).toBe('env');
    expect(safeFileName('...hidden')).toBe('hidden');
    expect(safeFileName('-rf')).toBe('rf');
  });

  it('gives "note" when nothing usable is left', () => {
    expect(safeFileName('')).toBe('note');
    expect(safeFileName('   ')).toBe('note');
    expect(safeFileName('###')).toBe('note');
  });

  it('caps the length at 60 characters by default, or the length given', () => {
    expect(safeFileName('x'.repeat(100))).toBe('x'.repeat(60));
    expect(safeFileName('abcdefghij', 4)).toBe('abcd');
  });

  it('does not leave a trailing dot or space where the cap cut', () => {
    expect(safeFileName('abcdefgh. xyz', 10)).toBe('abcdefgh');
  });

  it('keeps letters of every script, accents and symbols', () => {
    expect(safeFileName('Café ✓ 日本語 Ωμέγα')).toBe('Café ✓ 日本語 Ωμέγα');
  });

  it('normalizes to NFC so the same title gives the same name on macOS and elsewhere', () => {
    expect(safeFileName('Cafe\u0301')).toBe('Caf\u00e9');
  });

  it('the length cap never cuts an emoji in half', () => {
    const name = safeFileName('a'.repeat(59) + '😀 tail');
    expect(name.isWellFormed()).toBe(true);
    expect(name.startsWith('a'.repeat(59))).toBe(true);
  });
});

describe('slugify and isSlug', () => {
  it('turns a file name into an agent address', () => {
    expect(slugify('My Researcher!')).toBe('my-researcher');
    expect(slugify('Café Agent')).toBe('cafe-agent');
    expect(slugify('A_b-C')).toBe('a_b-c');
  });

  it('falls back to "agent" when nothing is left', () => {
    expect(slugify('---')).toBe('agent');
    expect(slugify('日本語')).toBe('agent');
  });

  it('accepts lower-case slugs up to 64 characters', () => {
    expect(isSlug('researcher')).toBe(true);
    expect(isSlug('a'.repeat(64))).toBe(true);
    expect(isSlug('a'.repeat(65))).toBe(false);
    expect(isSlug('Researcher')).toBe(false);
    expect(isSlug('-x')).toBe(false);
    expect(isSlug('my agent')).toBe(false);
  });
});

describe('resolveInVault', () => {
  const root = path.resolve('/vault');

  it('resolves a vault path under the root', () => {
    expect(resolveInVault(root, 'Inbox/q.md')).toBe(path.join(root, 'Inbox', 'q.md'));
  });

  it('refuses ../ out of the vault', () => {
    expect(() => resolveInVault(root, '../x.md')).toThrow('refusing a path outside the vault: ../x.md');
    expect(() => resolveInVault(root, 'Inbox/../../x.md')).toThrow(/outside the vault/);
  });

  it('refuses an absolute path outside the vault, even one that shares its prefix', () => {
    expect(() => resolveInVault(root, '/etc/passwd')).toThrow(/outside the vault/);
    expect(() => resolveInVault(root, '/vault2/x.md')).toThrow(/outside the vault/);
  });

  it('accepts an absolute path inside the vault', () => {
    expect(resolveInVault(root, path.join(root, 'a.md'))).toBe(path.join(root, 'a.md'));
  });

  it('refuses the vault root itself', () => {
    expect(() => resolveInVault(root, '.')).toThrow(/outside the vault/);
  });

  it('accepts a file whose name merely starts with two dots', () => {
    expect(resolveInVault(root, '..notes.md')).toBe(path.join(root, '..notes.md'));
  });
});

describe('toVaultPath', () => {
  it('gives a /-separated path relative to the root', () => {
    const root = path.resolve('/vault');
    expect(toVaultPath(root, path.join(root, 'Inbox', 'q.md'))).toBe('Inbox/q.md');
  });
});
