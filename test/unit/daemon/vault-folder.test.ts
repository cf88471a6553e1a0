// The check that the vault folder is still there: removed, or removed and made again (on ext4 the new
// folder gets the same inode), it calls `gone` once.
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchVaultFolder } from '../../../src/daemon/vault-folder.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let dir = '';
let vault = '';
let stop: () => void = () => {};

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-vault-folder-'));
  vault = path.join(dir, 'vault');
  mkdirSync(vault);
});

afterEach(async () => {
  stop();
  await rm(dir, { recursive: true, force: true });
});

/** Watches the vault (which folder it is, is read at once), checking often so waits are short. */
function watching(): { calls: () => number } {
  let calls = 0;
  stop = watchVaultFolder(vault, 10, () => calls++);
  return { calls: () => calls };
}

describe('watchVaultFolder', () => {
  it('calls gone once when the folder is removed', async () => {
    const watch = watching();
    await rm(vault, { recursive: true });
    await waitFor(() => watch.calls() > 0, { what: 'gone called' });
    expect(watch.calls()).toBe(1);
  });

  it('calls gone when the folder is removed and made again at once, with the same inode', async () => {
    const watch = watching();
    rmdirSync(vault);
    mkdirSync(vault);
    await waitFor(() => watch.calls() > 0, { what: 'gone called for the replaced folder' });
    expect(watch.calls()).toBe(1);
  });

  it('calls gone when a file takes the folder’s place', async () => {
    const watch = watching();
    rmdirSync(vault);
    writeFileSync(vault, 'not a folder');
    await waitFor(() => watch.calls() > 0, { what: 'gone called' });
  });
});
