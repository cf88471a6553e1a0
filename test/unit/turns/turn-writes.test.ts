import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TurnWrites, WRITE_MEMORY_MS, WRITES_DIR, type Writer } from '../../../src/turns/turn-writes.ts';
import { fixedClock } from '../../helpers/stage-kit.ts';
import { createTempVault, type TempVault } from '../../helpers/temp-vault.ts';

let vault: TempVault;
let clock: ReturnType<typeof fixedClock>;
let writes: TurnWrites;
const boss: Writer = { agent: 'boss', depth: 1, origin: 'Inbox/task.md' };

beforeEach(async () => {
  vault = await createTempVault();
  clock = fixedClock('2026-06-01T10:00:00Z');
  writes = new TurnWrites(vault.root, clock);
});

afterEach(() => vault.cleanup());

/** The hook's command from the turn's settings, run as Claude Code runs it (through sh), with a tool call on stdin. */
function runHook(settings: string, toolInput: Record<string, unknown>, cwd = vault.root) {
  const parsed = JSON.parse(settings) as { hooks: { PreToolUse: Array<{ matcher: string; hooks: Array<{ command: string }> }> } };
  const [entry] = parsed.hooks.PreToolUse;
  const input = JSON.stringify({ hook_event_name: 'PreToolUse', cwd, tool_name: 'Write', tool_input: toolInput });
  const run = spawnSync('sh', ['-c', entry!.hooks[0]!.command], { input, encoding: 'utf8' });
  return { matcher: entry!.matcher, status: run.status, stderr: run.stderr };
}

describe('TurnWrites', () => {
  it("the hook records a turn's write before it happens; the writer is known while the turn runs and for an hour after", () => {
    const turn = writes.begin(boss, vault.root);
    const hook = runHook(turn.settings, { file_path: path.join(vault.root, 'Inbox/sub.md'), content: 'x' });
    expect(hook).toMatchObject({ matcher: 'Write|Edit|MultiEdit|NotebookEdit', status: 0 });
    // Not written yet (the hook runs first): the path alone is enough.
    expect(writes.writerOf('Inbox/sub.md')).toEqual(boss);
    expect(writes.writerOf('Inbox/other.md')).toBeUndefined();
    writes.end(turn.id);
    expect(writes.writerOf('Inbox/sub.md')).toEqual(boss);
    clock.set(new Date(Date.parse('2026-06-01T10:00:00Z') + WRITE_MEMORY_MS + 1).toISOString());
    expect(writes.writerOf('Inbox/sub.md')).toBeUndefined();
  });

  it('a path is taken as the vault path it really is: relative to the turn, through links, and nothing outside', async () => {
    await mkdir(path.join(vault.root, 'Inbox'), { recursive: true });
    await symlink(path.join(vault.root, 'Inbox'), path.join(vault.root, 'Mail'));
    const turn = writes.begin(boss, path.join(vault.root, 'Inbox'));
    runHook(turn.settings, { file_path: 'rel.md' }, path.join(vault.root, 'Inbox'));
    runHook(turn.settings, { file_path: path.join(vault.root, 'Mail/linked.md') });
    runHook(turn.settings, { file_path: '/tmp/outside.md' });
    runHook(turn.settings, { notebook_path: path.join(vault.root, 'Notes/n.ipynb') });
    expect(writes.writerOf('Inbox/rel.md')).toEqual(boss);
    expect(writes.writerOf('Inbox/linked.md')).toEqual(boss);
    expect(writes.writerOf('Mail/linked.md')).toBeUndefined();
    expect(writes.writerOf('Notes/n.ipynb')).toEqual(boss);
  });

  it("a path seen only in the turn's stream counts too (hooks turned off in the user's settings)", () => {
    const turn = writes.begin(boss, vault.root);
    writes.saw(turn.id, path.join(vault.root, 'Inbox/seen.md'));
    expect(writes.writerOf('Inbox/seen.md')).toEqual(boss);
  });

  it('record files left by a stop are read back at the next start, then removed', async () => {
    const turn = writes.begin(boss, vault.root);
    runHook(turn.settings, { file_path: path.join(vault.root, 'Inbox/late.md') });
    const next = new TurnWrites(vault.root, clock);
    next.recover();
    expect(next.writerOf('Inbox/late.md')).toEqual(boss);
    expect(await readdir(path.join(vault.root, WRITES_DIR))).toEqual([]);
  });

  it('read back at a start hours later: a cut-off turn\'s notes and notes untouched since their turn ended are still its own; one written since is not', async () => {
    await mkdir(path.join(vault.root, 'Inbox'), { recursive: true });
    const cut = writes.begin({ agent: 'cut', depth: 0, origin: 'Inbox/a.md' }, vault.root);
    runHook(cut.settings, { file_path: path.join(vault.root, 'Inbox/cut.md') });
    await writeFile(path.join(vault.root, 'Inbox/cut.md'), 'x');
    const ended = writes.begin(boss, vault.root);
    runHook(ended.settings, { file_path: path.join(vault.root, 'Inbox/asleft.md') });
    runHook(ended.settings, { file_path: path.join(vault.root, 'Inbox/edited.md') });
    await writeFile(path.join(vault.root, 'Inbox/asleft.md'), 'x');
    await writeFile(path.join(vault.root, 'Inbox/edited.md'), 'x');
    writes.end(ended.id);
    // A person saves one of them a minute after the turn ended.
    const record = path.join(vault.root, WRITES_DIR, 'boss.jsonl');
    const endedAt = (await stat(record)).mtime;
    const later = new Date(endedAt.getTime() + 60_000);
    await utimes(path.join(vault.root, 'Inbox/edited.md'), later, later);
    // (The others as the turn wrote them, clear of the millisecond the records are put back at below.)
    const during = new Date(endedAt.getTime() - 1_000);
    for (const note of ['Inbox/cut.md', 'Inbox/asleft.md']) await utimes(path.join(vault.root, note), during, during);

    // Each start reads the records back and removes them: put them back as they were for the next.
    const dir = path.join(vault.root, WRITES_DIR);
    const records = await Promise.all((await readdir(dir)).map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8'), at: (await stat(path.join(dir, name))).mtime })));
    const startAt = async (hours: number) => {
      for (const r of records) {
        await writeFile(path.join(dir, r.name), r.text);
        await utimes(path.join(dir, r.name), r.at, r.at);
      }
      const at = fixedClock(new Date(endedAt.getTime() + hours * WRITE_MEMORY_MS).toISOString());
      const next = new TurnWrites(vault.root, at);
      next.recover();
      return next;
    };
    const soon = await startAt(0.5);
    expect(soon.writerOf('Inbox/edited.md')).toEqual(boss);
    const hoursLater = await startAt(10);
    expect(hoursLater.writerOf('Inbox/cut.md')?.agent).toBe('cut');
    expect(hoursLater.writerOf('Inbox/asleft.md')).toEqual(boss);
    expect(hoursLater.writerOf('Inbox/edited.md')).toBeUndefined();
  });

  it('a record the daemon read back and removed is not made again by a turn left running: its write is blocked', async () => {
    const turn = writes.begin(boss, vault.root);
    new TurnWrites(vault.root, clock).recover();
    const hook = runHook(turn.settings, { file_path: path.join(vault.root, 'Inbox/orphan.md') });
    expect(hook.status).toBe(2);
    expect(await readdir(path.join(vault.root, WRITES_DIR))).toEqual([]);
  });

  it('a write it cannot record is blocked (exit 2, with a sentence for the model), never let through unattributed', async () => {
    const turn = writes.begin(boss, vault.root);
    // The record's folder replaced by a file: the append fails.
    const dir = path.join(vault.root, WRITES_DIR);
    await rm(dir, { recursive: true });
    await writeFile(dir, 'not a folder');
    const hook = runHook(turn.settings, { file_path: path.join(vault.root, 'Inbox/x.md') });
    expect(hook.status).toBe(2);
    expect(hook.stderr).toContain('Scriptorium could not record this write');
  });

  it("a vault path with quotes and spaces survives the hook's shell", async () => {
    const odd = path.join(vault.root, "it's a \"vault\" $HOME");
    await mkdir(odd);
    const inner = new TurnWrites(odd, clock);
    const turn = inner.begin(boss, odd);
    expect(runHook(turn.settings, { file_path: path.join(odd, 'Inbox/q.md') }, odd).status).toBe(0);
    expect(inner.writerOf('Inbox/q.md')).toEqual(boss);
  });

  it("a secret in the answered message's name does not reach the record (the daemon's redactor is applied)", async () => {
    const secret = 'scrpt9f8e7d6c5b4a3928170605';
    const redacting = new TurnWrites(vault.root, clock, (text) => text.split(secret).join('[redacted api_token]'));
    redacting.begin({ agent: 'boss', depth: 0, origin: `Inbox/use ${secret} now.md` }, vault.root);
    const record = await readFile(path.join(vault.root, WRITES_DIR, 'boss.jsonl'), 'utf8');
    expect(record).not.toContain(secret);
    expect(record).toContain('Inbox/use [redacted api_token] now.md');
  });
});
