import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendTurn, monthFile, monthOf, TURNS_DIR, type TurnLogEntry } from '../../../src/state/turns-log.ts';
import { turnEntry } from '../../helpers/turn-entry.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-turns-'));
});

afterEach(async () => {
  process.env.TZ = 'UTC';
  await rm(root, { recursive: true, force: true });
});

const entry = turnEntry;

const read = (month: string) => readFile(path.join(root, monthFile(month)), 'utf8');

describe('recording turns, one file a month', () => {
  it("each turn goes to its own month's file, a late one (replayed after a crash) to its month too", async () => {
    await appendTurn(root, entry('2026-06-30T23:59:59+00:00'));
    await appendTurn(root, entry('2026-07-01T00:00:00+00:00'));
    await appendTurn(root, entry('2026-06-30T12:00:00+00:00'));
    expect((await read('2026-06')).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as TurnLogEntry).at)).toEqual(['2026-06-30T23:59:59+00:00', '2026-06-30T12:00:00+00:00']);
    expect(await read('2026-07')).toBe(JSON.stringify(entry('2026-07-01T00:00:00+00:00')) + '\n');
    expect((await readdir(path.join(root, TURNS_DIR))).sort()).toEqual(['2026-06.jsonl', '2026-07.jsonl']);
  });

  it('the month is the local one, as the budgets count it', async () => {
    process.env.TZ = 'America/New_York';
    // 22:00 on June 30th in New York.
    await appendTurn(root, entry('2026-07-01T02:00:00Z'));
    expect(monthOf(new Date('2026-07-01T02:00:00Z'))).toBe('2026-06');
    expect(await read('2026-06')).toContain('2026-07-01T02:00:00Z');
  });

  it("a turn whose date cannot be read goes to this month's file", async () => {
    await appendTurn(root, entry('not a date'));
    expect(await read(monthOf(new Date()))).toContain('not a date');
  });

  it('a month file that is a symbolic link is not written through; the error says why', async () => {
    const outside = path.join(root, 'outside.txt');
    await writeFile(outside, 'mine\n');
    await mkdir(path.join(root, TURNS_DIR), { recursive: true });
    await symlink(outside, path.join(root, monthFile('2026-06')));
    await expect(appendTurn(root, entry('2026-06-02T10:00:00Z'))).rejects.toMatchObject({ code: 'ELOOP' });
    expect(await readFile(outside, 'utf8')).toBe('mine\n');
  });

  it('a turns folder that is a symbolic link is not written into', async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-elsewhere-'));
    try {
      await mkdir(path.join(root, '.scriptorium'));
      await symlink(elsewhere, path.join(root, TURNS_DIR));
      await expect(appendTurn(root, entry('2026-06-02T10:00:00Z'))).rejects.toThrow(/leads outside the vault/);
      expect(await readdir(elsewhere)).toEqual([]);
      expect((await lstat(path.join(root, TURNS_DIR))).isSymbolicLink()).toBe(true);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('a .scriptorium folder that is a symbolic link out of the vault gets no folder and no turn', async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-elsewhere-'));
    try {
      await symlink(elsewhere, path.join(root, '.scriptorium'));
      await expect(appendTurn(root, entry('2026-06-02T10:00:00Z'))).rejects.toThrow(/leads outside the vault/);
      expect(await readdir(elsewhere)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
