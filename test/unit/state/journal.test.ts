import { mkdir, readFile, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, Journal, openRecords, type JournalRecord } from '../../../src/state/journal.ts';
import { createTempVault, type TempVault } from '../../helpers/temp-vault.ts';

const at = '2026-11-21T10:00:00+00:00';
const started = (msg: string): JournalRecord => ({ t: 'started', msg, agent: 'a', thread: 'Threads/a.md', startedAt: at, at });
const finished = (msg: string): JournalRecord => ({ t: 'finished', msg, at });

describe('Journal', () => {
  let vault: TempVault;
  afterEach(async () => vault?.cleanup());

  it('drops finished messages while running once enough has been appended, keeping every open one', async () => {
    vault = await createTempVault();
    const journal = new Journal(vault.root, { compactAboveBytes: 2_000 });
    for (let i = 0; i < 40; i++) {
      await journal.append(started(`Inbox/m${i}.md`));
      if (i % 10 !== 0) await journal.append(finished(`Inbox/m${i}.md`));
    }
    const records = await journal.readAll();
    // The four never finished are all still there; most finished ones are gone.
    for (const i of [0, 10, 20, 30]) expect(records.some((r) => r.msg === `Inbox/m${i}.md` && r.t === 'started')).toBe(true);
    expect(records.filter((r) => r.t === 'finished').length).toBeLessThan(20);
    const size = (await readFile(`${vault.root}/${JOURNAL_FILE}`)).length;
    expect(size).toBeLessThan(2_000 + 200);
  });

  it('goes on writing after a failed write', async () => {
    vault = await createTempVault();
    const journal = new Journal(vault.root);
    // A directory where the file should be: the append fails (as on a full disk), then the disk recovers.
    const file = `${vault.root}/${JOURNAL_FILE}`;
    await mkdir(file, { recursive: true });
    await expect(journal.append(started('Inbox/lost.md'))).rejects.toThrow();
    await rm(file, { recursive: true });
    await journal.append(started('Inbox/after.md'));
    expect((await journal.readAll()).map((r) => r.msg)).toEqual(['Inbox/after.md']);
  });

  it('never writes a secret from the environment into the journal', async () => {
    vault = await createTempVault();
    const journal = new Journal(vault.root, { redact: (t) => t.replaceAll('sk-ant-secret-value', '[redacted]') });
    await journal.append({ t: 'retry', msg: 'Inbox/m.md', attempt: 1, retryAt: at, error: 'HTTP 401 for key sk-ant-secret-value', at });
    const written = await readFile(`${vault.root}/${JOURNAL_FILE}`, 'utf8');
    expect(written).not.toContain('sk-ant-secret-value');
    // Paths are kept as they are: recovery finds the notes by them.
    expect(written).toContain('"msg":"Inbox/m.md"');
  });
});

describe('openRecords', () => {
  it('keeps every record of a message not finished, and none of one finished', () => {
    const records = [started('a'), started('b'), finished('a'), { t: 'retry', msg: 'c', attempt: 1, retryAt: at, error: 'x', at } as JournalRecord];
    expect(openRecords(records).map((r) => r.msg)).toEqual(['b', 'c']);
  });
});
