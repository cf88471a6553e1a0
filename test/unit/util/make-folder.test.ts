// Folders made below the vault one at a time: a vault folder removed is never made again, and a
// read-only filesystem is reported as EROFS (a recursive mkdir says ENOENT there).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFolderBelow, makeFolderBelowSync } from '../../../src/util/make-folder.ts';
import { mountRefusal, mountTmpfs, remount, unmount } from '../../helpers/tmpfs.ts';

let dir = '';
let vault = '';
let mounted: string | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-make-folder-'));
  vault = path.join(dir, 'vault');
  mkdirSync(vault);
});

afterEach(async () => {
  if (mounted) unmount(mounted);
  mounted = undefined;
  await rm(dir, { recursive: true, force: true });
});

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

describe('makeFolderBelow', () => {
  it('makes every missing folder below the vault, and is content when they exist', async () => {
    const deep = path.join(vault, '.scriptorium', 'tmp', 'a');
    await makeFolderBelow(vault, deep);
    await makeFolderBelow(vault, deep);
    makeFolderBelowSync(vault, path.join(vault, '.scriptorium', 'logs'));
    expect(existsSync(deep)).toBe(true);
    expect(existsSync(path.join(vault, '.scriptorium', 'logs'))).toBe(true);
  });

  it('does not make the vault folder again once it is removed: ENOENT, and nothing is left behind', async () => {
    await rm(vault, { recursive: true });
    expect(code(await makeFolderBelow(vault, path.join(vault, '.scriptorium')).catch((e: unknown) => e))).toBe('ENOENT');
    expect(code(catching(() => makeFolderBelowSync(vault, path.join(vault, '.scriptorium', 'logs'))))).toBe('ENOENT');
    expect(existsSync(vault)).toBe(false);
  });

  it('refuses a folder outside the vault', async () => {
    await expect(makeFolderBelow(vault, path.join(dir, 'elsewhere'))).rejects.toThrow('is not inside');
  });

  it('a file where a folder should be fails, as a write there would', async () => {
    writeFileSync(path.join(vault, 'Inbox'), 'not a folder');
    expect(code(await makeFolderBelow(vault, path.join(vault, 'Inbox', 'x')).catch((e: unknown) => e))).toBe('ENOTDIR');
  });

  it.skipIf(mountRefusal !== undefined)(`says EROFS on a read-only filesystem${mountRefusal ? ` (skipped: ${mountRefusal})` : ''}`, async () => {
    mountTmpfs(vault, '64k');
    mounted = vault;
    mkdirSync(path.join(vault, '.scriptorium'));
    remount(vault, 'ro');
    await makeFolderBelow(vault, path.join(vault, '.scriptorium')); // there already: fine
    expect(code(await makeFolderBelow(vault, path.join(vault, '.scriptorium', 'tmp', 'a')).catch((e: unknown) => e))).toBe('EROFS');
  });
});

function catching(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
