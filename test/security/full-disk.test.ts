// The vault's disk fills up while a turn runs: the turn's notes cannot be written. Once there is room
// again they are, the message ends `done` with its reply, and nothing is left `running`.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, linkedPath, waitForStatus, type Harness } from '../helpers/daemon-harness.ts';
import { closeMounted, fill, mountRefusal, mountTmpfs } from '../helpers/tmpfs.ts';
import { waitFor } from '../helpers/wait-for.ts';

let h: Harness | undefined;
let mounted: string | undefined;

afterEach(async () => {
  await closeMounted(h, mounted);
  h = mounted = undefined;
});

describe('a full disk during a turn', () => {
  it.skipIf(mountRefusal !== undefined)(`the message ends done once there is room again${mountRefusal ? ` (skipped: ${mountRefusal})` : ''}`, async () => {
    // The dashboard and the status file are written too, as in use: they must not make the log say it again.
    h = await createHarness({ env: { FAKE_CLAUDE_REPLY: 'The answer, turn {turn}.' }, config: { writeRetryBaseMs: 50, writeRetryMaxMs: 500, dashboardIntervalMs: 50 } });
    mountTmpfs(h.vault.root, '2m');
    mounted = h.vault.root;
    await h.vault.writeAgent('worker');
    await h.start();
    const unwritten: string[] = [];
    h.daemon.events.subscribe((event) => void (event.type === 'turn-unwritten' && unwritten.push(event.data.message)));

    const first = await h.vault.writeMessage('first', 'worker', 'Hold on [[fake:gate:full]]');
    await waitForStatus(h.vault, first, 'running');
    const filler = path.join(h.vault.root, 'filler.bin');
    fill(filler);
    await h.fake.openGate('full');
    // The turn ended but nothing could be written: its process is over, not "still working".
    await waitFor(() => unwritten.includes(first), { what: 'the turn reported unwritten' });
    expect((await h.vault.fields(first)).status).toBe('running');
    // Its lane is free: the agent is idle, not working on a turn that has ended.
    await waitFor(() => h!.daemon.agentStatuses().find((a) => a.name === 'worker')?.state === 'idle', { what: 'the agent idle' });

    await rm(filler);
    const done = await waitForStatus(h.vault, first, 'done');
    expect(await h.vault.body(linkedPath(done.reply))).toContain('The answer, turn 1.');
    expect(h.logs('cannot write to the vault; notes are written once it can be written again')).toHaveLength(1);
    expect(h.logs('cannot write to the vault; notes are written once it can be written again')[0]).toMatchObject({ cause: 'the disk is full (ENOSPC)' });
    await waitFor(() => h!.logs('the vault can be written again').length > 0, { what: 'the recovery said' });
    expect(h.logger.lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => l.msg)).toEqual([
      'cannot write to the vault; notes are written once it can be written again',
    ]);

    // The agent goes on: a later message runs and ends done too, and the daemon has nothing left running.
    const second = await h.vault.writeMessage('second', 'worker', 'And this one.');
    await waitForStatus(h.vault, second, 'done');
    await h.daemon.idle();
    expect(h.daemon.agentStatuses().find((a) => a.name === 'worker')?.state).toBe('idle');
    expect(h.fake.invocations()).toHaveLength(2); // the first turn was not run again
  });
});
