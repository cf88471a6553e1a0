// `scriptorium service install|uninstall` run in-process, with HOME pointed at a temp folder so the unit
// files land there, and PATH pointed at a folder holding a stand-in `claude`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serviceCommand } from '../../src/cli/service.ts';
import { UsageError } from '../../src/cli/output.ts';
import { launchdLogDir, serviceName, unitPath } from '../../src/service/units.ts';

let root = '';
let home = '';
let vault = '';
let bin = '';
const saved = { HOME: process.env.HOME, PATH: process.env.PATH, isTTY: process.stdin.isTTY };

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-service-'));
  home = path.join(root, 'home');
  vault = path.join(root, 'My Notes & <drafts>');
  bin = path.join(root, 'claude bin');
  await mkdir(home);
  await mkdir(vault);
  await mkdir(bin);
  await writeFile(path.join(bin, 'claude'), '#!/bin/sh\nexit 0\n');
  await chmod(path.join(bin, 'claude'), 0o755);
  process.env.HOME = home;
  process.env.PATH = [bin, '/usr/bin', '/bin'].join(path.delimiter);
  // The test runner's stdin is not a terminal, but say so rather than rely on it.
  setStdinTTY(false);
});

afterEach(async () => {
  process.env.HOME = saved.HOME;
  process.env.PATH = saved.PATH;
  setStdinTTY(saved.isTTY);
  await rm(root, { recursive: true, force: true });
});

function setStdinTTY(value: boolean | undefined): void {
  Object.defineProperty(process.stdin, 'isTTY', { value, configurable: true, writable: true });
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await serviceCommand(argv);
    return { code, stdout, stderr };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => e.name);
}

const systemdFile = () => unitPath('linux', home, serviceName(vault, 'linux'));
const launchdFile = () => unitPath('darwin', home, serviceName(vault, 'darwin'));

describe('service install', () => {
  it('prints the systemd unit and how to enable it, and writes nothing', async () => {
    const ran = await run(['install', vault, '--platform', 'linux']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^\[Unit\]\n/);
    expect(ran.stdout).toContain(`ExecStart=${process.execPath} `);
    expect(ran.stdout).toContain(`start "${vault}" --log-format json`);
    // PATH holds claude's folder and the node that claude's launcher asks for.
    expect(ran.stdout).toContain(`Environment="PATH=${bin}:/usr/bin:/bin:${path.dirname(process.execPath)}"`);
    const name = serviceName(vault, 'linux');
    expect(ran.stderr).toContain(`Save it as ${systemdFile()}`);
    expect(ran.stderr).toContain('systemctl --user daemon-reload');
    expect(ran.stderr).toContain(`systemctl --user enable --now ${name}.service`);
    expect(ran.stderr).toContain(`journalctl --user -u ${name} -f`);
    expect(ran.stderr).toContain('loginctl enable-linger $USER');
    expect(ran.stderr).not.toContain('warning: claude');
    expect(await filesUnder(home)).toEqual([]);
    expect(await readdir(vault)).toEqual([]);
  });

  it('prints the launchd plist and the launchctl commands, and writes nothing', async () => {
    const ran = await run(['install', vault, '--platform', 'darwin']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^<\?xml /);
    expect(ran.stdout).toContain('<string>start</string>');
    const label = serviceName(vault, 'darwin');
    expect(ran.stderr).toContain(`launchctl bootstrap gui/$(id -u) ${launchdFile()}`);
    expect(ran.stderr).toContain(`launchctl kickstart -k gui/$(id -u)/${label}`);
    expect(await filesUnder(home)).toEqual([]);
    expect(await readdir(vault)).toEqual([]);
  });

  it('--write --yes writes the unit it prints', async () => {
    const printed = (await run(['install', vault, '--platform', 'linux'])).stdout;
    const ran = await run(['install', vault, '--platform', 'linux', '--write', '--yes']);
    expect(ran.code).toBe(0);
    expect(await readFile(systemdFile(), 'utf8')).toBe(printed);
    expect(ran.stdout).toContain(`Wrote ${systemdFile()}`);
    expect(ran.stdout).toContain(`systemctl --user enable --now ${serviceName(vault, 'linux')}.service`);
  });

  it('--write --yes writes the plist it prints and makes the log folder launchd needs', async () => {
    const printed = (await run(['install', vault, '--platform', 'darwin'])).stdout;
    const ran = await run(['install', vault, '--platform', 'darwin', '--write', '--yes']);
    expect(ran.code).toBe(0);
    expect(await readFile(launchdFile(), 'utf8')).toBe(printed);
    expect(existsSync(launchdLogDir(vault))).toBe(true);
    expect(ran.stdout).toContain(`launchctl kickstart -k gui/$(id -u)/${serviceName(vault, 'darwin')}`);
  });

  it('--write without --yes when stdin is not a terminal exits 2 and writes nothing', async () => {
    const ran = await run(['install', vault, '--platform', 'linux', '--write']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('add --yes');
    expect(await filesUnder(home)).toEqual([]);
  });

  it('does not replace a different existing file without --yes, and says when it is already up to date', async () => {
    await mkdir(path.dirname(systemdFile()), { recursive: true });
    await writeFile(systemdFile(), '[Service]\nExecStart=/bin/true\n');
    const refused = await run(['install', vault, '--platform', 'linux', '--write']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('add --yes to replace it');
    expect(await readFile(systemdFile(), 'utf8')).toBe('[Service]\nExecStart=/bin/true\n');

    const replaced = await run(['install', vault, '--platform', 'linux', '--write', '--yes']);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`systemctl --user restart ${serviceName(vault, 'linux')}.service`);
    const again = await run(['install', vault, '--platform', 'linux', '--write']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already installed and up to date');
  });

  it('warns when claude is not on PATH, and leaves out folders that are missing or relative', async () => {
    process.env.PATH = [path.join(root, 'missing'), 'relative/bin', '/usr/bin'].join(path.delimiter);
    const ran = await run(['install', vault, '--platform', 'linux']);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain('warning: claude is not on PATH');
    const pathLine = ran.stdout.split('\n').find((l) => l.startsWith('Environment='));
    expect(pathLine).toBe(`Environment="PATH=/usr/bin:${path.dirname(process.execPath)}"`);
  });

  it.skipIf(spawnSync('systemd-analyze', ['--version']).status !== 0)('writes a unit that systemd-analyze verify accepts', async () => {
    await run(['install', vault, '--platform', 'linux', '--write', '--yes']);
    // verify reports problems on stderr and exits non-zero; execFileSync throws with them.
    execFileSync('systemd-analyze', ['verify', systemdFile()], { stdio: 'pipe' });
  });

  it('refuses an unknown platform or subcommand as a usage error', async () => {
    await expect(run(['install', vault, '--platform', 'windows'])).rejects.toThrow(UsageError);
    await expect(run(['install', vault, '--platform', 'windows'])).rejects.toThrow(/--platform expects linux or darwin, got "windows"/);
    await expect(run(['enable', vault])).rejects.toThrow(UsageError);
    await expect(run([])).rejects.toThrow(UsageError);
    expect(await filesUnder(home)).toEqual([]);
  });

  it('refuses a vault that is not a folder', async () => {
    await expect(run(['install', path.join(root, 'nope'), '--platform', 'linux'])).rejects.toThrow(/is not a folder/);
  });
});

describe('service uninstall', () => {
  it('prints the commands that stop and remove the service, and removes nothing', async () => {
    await run(['install', vault, '--platform', 'linux', '--write', '--yes']);
    const ran = await run(['uninstall', vault, '--platform', 'linux']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(`systemctl --user disable --now ${serviceName(vault, 'linux')}.service`);
    expect(ran.stdout).toContain(`rm ${systemdFile()}`);
    expect(existsSync(systemdFile())).toBe(true);
  });

  it('--write --yes removes the unit and the link enable made', async () => {
    await run(['install', vault, '--platform', 'linux', '--write', '--yes']);
    // What `systemctl --user enable` leaves behind.
    const wants = path.join(path.dirname(systemdFile()), 'default.target.wants', path.basename(systemdFile()));
    await mkdir(path.dirname(wants), { recursive: true });
    await symlink(systemdFile(), wants);
    const ran = await run(['uninstall', vault, '--platform', 'linux', '--write', '--yes']);
    expect(ran.code).toBe(0);
    expect(existsSync(systemdFile())).toBe(false);
    await expect(lstat(wants)).rejects.toThrow(/ENOENT/);
    expect(ran.stdout).toContain(`systemctl --user stop ${serviceName(vault, 'linux')}.service`);
  });

  it('--write --yes removes the plist', async () => {
    await run(['install', vault, '--platform', 'darwin', '--write', '--yes']);
    const ran = await run(['uninstall', vault, '--platform', 'darwin', '--write', '--yes']);
    expect(ran.code).toBe(0);
    expect(existsSync(launchdFile())).toBe(false);
    expect(ran.stdout).toContain(`launchctl bootout gui/$(id -u)/${serviceName(vault, 'darwin')}`);
  });

  it('--write without --yes when stdin is not a terminal exits 2 and removes nothing', async () => {
    await run(['install', vault, '--platform', 'linux', '--write', '--yes']);
    const ran = await run(['uninstall', vault, '--platform', 'linux', '--write']);
    expect(ran.code).toBe(2);
    expect(existsSync(systemdFile())).toBe(true);
  });

  it('works after the vault folder is gone, and says so when there is nothing to remove', async () => {
    await run(['install', vault, '--platform', 'linux', '--write', '--yes']);
    await rm(vault, { recursive: true });
    expect((await run(['uninstall', vault, '--platform', 'linux', '--write', '--yes'])).code).toBe(0);
    expect(existsSync(systemdFile())).toBe(false);
    const again = await run(['uninstall', vault, '--platform', 'linux', '--write', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to remove');
  });
});
