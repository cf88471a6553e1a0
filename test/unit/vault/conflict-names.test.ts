import { describe, expect, it } from 'vitest';
import { conflictNames, type ConflictName } from '../../../src/vault/conflict-names.ts';

const certain = (tool: ConflictName['tool'], original: string): ConflictName[] => [{ tool, original, certain: true }];

describe('conflictNames: names only a sync tool writes', () => {
  it.each<[string, string, ConflictName['tool'], string]>([
    ['Obsidian Sync', 'Inbox/good1 (conflict 2026-12-04 101010).md', 'Obsidian Sync', 'Inbox/good1.md'],
    ['Obsidian Sync before 1.9', 'Inbox/Note (Conflicted copy Dev 202411281430).md', 'Obsidian Sync', 'Inbox/Note.md'],
    ['Syncthing', 'Inbox/Note.sync-conflict-20240101-120000-ABCDEFG.md', 'Syncthing', 'Inbox/Note.md'],
    ['Dropbox', "Inbox/Note (Alice's conflicted copy 2024-01-01).md", 'Dropbox', 'Inbox/Note.md'],
    ['Dropbox, a second copy that day', "Inbox/Note (Alice's conflicted copy 2024-01-01 (1)).md", 'Dropbox', 'Inbox/Note.md'],
    ['Dropbox, a case conflict', 'Inbox/Note (Case Conflict).md', 'Dropbox', 'Inbox/Note.md'],
    ['Dropbox, a selective sync conflict', 'Inbox/Note (Selective Sync Conflict).md', 'Dropbox', 'Inbox/Note.md'],
    ['Nextcloud', 'Inbox/Note (conflicted copy 2026-12-04 101010).md', 'Nextcloud', 'Inbox/Note.md'],
    ['Nextcloud with the user name', 'Inbox/Note (conflicted copy jane 2026-12-04 101010).md', 'Nextcloud', 'Inbox/Note.md'],
    ['ownCloud and older Nextcloud', 'Inbox/Note_conflict-20261204-101010.md', 'Nextcloud', 'Inbox/Note.md'],
    ['OneDrive, a Windows desktop', 'Inbox/Note-DESKTOP-5G7H8J9.md', 'OneDrive', 'Inbox/Note.md'],
    ['OneDrive, a Windows laptop', 'Inbox/Note-LAPTOP-AB12CD34.md', 'OneDrive', 'Inbox/Note.md'],
  ])('%s: %s', (_tool, vaultPath, tool, original) => {
    expect(conflictNames(vaultPath)).toEqual(certain(tool, original));
  });

  it('keeps the folder: the original is beside the copy, also at the vault root', () => {
    expect(conflictNames('good1 (conflict 2026-12-04 101010).md')).toEqual(certain('Obsidian Sync', 'good1.md'));
    expect(conflictNames('A/B/x.sync-conflict-20240101-120000-ABCDEFG.md')).toEqual(certain('Syncthing', 'A/B/x.md'));
  });
});

describe('conflictNames: names a person may choose too', () => {
  it("iCloud's 'Note 2.md' to 'Note 9.md' may copy 'Note.md'", () => {
    expect(conflictNames('Inbox/Note 2.md')).toEqual([{ tool: 'iCloud', original: 'Inbox/Note.md', certain: false }]);
    expect(conflictNames('Inbox/Note 9.md')).toEqual([{ tool: 'iCloud', original: 'Inbox/Note.md', certain: false }]);
  });

  it("Google Drive's 'Note (1).md' may copy 'Note.md'", () => {
    expect(conflictNames('Inbox/Note (1).md')).toEqual([{ tool: 'Google Drive', original: 'Inbox/Note.md', certain: false }]);
    expect(conflictNames('Inbox/Note (12).md')).toEqual([{ tool: 'Google Drive', original: 'Inbox/Note.md', certain: false }]);
  });

  it("OneDrive's 'Note-hostname.md': every split at a dash is a candidate", () => {
    expect(conflictNames('Inbox/ask-my-mac.md')).toEqual([
      { tool: 'OneDrive', original: 'Inbox/ask.md', certain: false },
      { tool: 'OneDrive', original: 'Inbox/ask-my.md', certain: false },
    ]);
  });

  it.each(['Inbox/Note.md', 'Inbox/Note2.md', 'Inbox/Note 1.md', 'Inbox/Sprint 10.md', 'Inbox/Note (draft).md', 'Inbox/Meeting (conflict resolution).md', 'Inbox/Note (0).md', 'Inbox/-x.md'])(
    'an ordinary name is not even a candidate: %s',
    (vaultPath) => {
      expect(conflictNames(vaultPath)).toEqual([]);
    },
  );

  it('a folder that looks like a copy says nothing about the notes in it', () => {
    expect(conflictNames('Inbox (conflict 2026-12-04 101010)/Note.md')).toEqual([]);
  });
});
