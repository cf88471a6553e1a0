import { describe, expect, it } from 'vitest';
import {
  launchdLogDir,
  launchdPlist,
  serviceId,
  serviceName,
  systemdUnit,
  unitPath,
  type ServiceSpec,
} from '../../../src/service/units.ts';

const AWKWARD = '/home/ada/My Notes & <drafts> 100% $HOME "quoted" it\'s back\\slash';

const spec = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  vault: '/home/ada/Notes',
  nodePath: '/usr/local/bin/node',
  scriptPath: '/usr/local/lib/node_modules/scriptorium/bin/scriptorium.js',
  pathEnv: '/home/ada/.local/bin:/usr/local/bin:/usr/bin:/bin',
  ...over,
});

/** A setting's value in a unit file. */
function setting(unit: string, key: string): string {
  const line = unit.split('\n').find((l) => l.startsWith(`${key}=`));
  if (line === undefined) throw new Error(`no ${key}= in\n${unit}`);
  return line.slice(key.length + 1);
}

/**
 * ExecStart= read back the way systemd.service(5) and systemd.syntax(7) describe: split on whitespace,
 * "..." keeps a word together with C escapes inside, `$$` is `$`, `%%` is `%`.
 */
function systemdWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    if (value[i] === '"') {
      i++;
      while (value[i] !== '"') {
        if (i >= value.length) throw new Error(`unbalanced quote in ${value}`);
        if (value[i] === '\\') {
          const next = value[i + 1]!;
          if (next === 'x') {
            word += String.fromCharCode(parseInt(value.slice(i + 2, i + 4), 16));
            i += 4;
          } else {
            word += next;
            i += 2;
          }
        } else word += value[i++];
      }
      i++;
      if (i < value.length && value[i] !== ' ') throw new Error(`a closing quote must end the word in ${value}`);
    } else {
      while (i < value.length && value[i] !== ' ') {
        if (value[i] === '\\' || value[i] === '"' || value[i] === "'") throw new Error(`unquoted ${value[i]} in ${value}`);
        word += value[i++];
      }
    }
    words.push(word.replace(/\$\$/g, '$').replace(/%%/g, '%'));
  }
  return words;
}

/** The <string> values of the plist in order, unescaped. */
function plistStrings(plist: string): string[] {
  return [...plist.matchAll(/<string>([^<]*)<\/string>/g)].map((m) =>
    m[1]!.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!),
  );
}

describe('service names', () => {
  it('are the folder name as a slug plus a hash of the whole path', () => {
    expect(serviceId('/home/ada/My Notes')).toMatch(/^my-notes-[0-9a-f]{8}$/);
    expect(serviceId('/home/ada/Café Notes')).toMatch(/^cafe-notes-[0-9a-f]{8}$/);
    expect(serviceId('/home/ada/!!!')).toMatch(/^vault-[0-9a-f]{8}$/);
    expect(serviceId(`/home/ada/${'long'.repeat(30)}`).length).toBeLessThanOrEqual(40 + 9);
  });

  it('are stable for one vault and differ for two vaults with the same folder name', () => {
    expect(serviceId('/home/ada/Notes')).toBe(serviceId('/home/ada/Notes'));
    expect(serviceId('/home/ada/Notes')).not.toBe(serviceId('/home/bob/Notes'));
    expect(serviceId('/home/ada/Notes').split('-')[0]).toBe(serviceId('/home/bob/Notes').split('-')[0]);
  });

  it('are a systemd unit name on Linux and a reverse-DNS label on macOS, each in its own folder', () => {
    const id = serviceId('/home/ada/Notes');
    expect(serviceName('/home/ada/Notes', 'linux')).toBe(`scriptorium-${id}`);
    expect(serviceName('/home/ada/Notes', 'darwin')).toBe(`dev.scriptorium.${id}`);
    expect(unitPath('linux', '/home/ada', 'scriptorium-x')).toBe('/home/ada/.config/systemd/user/scriptorium-x.service');
    expect(unitPath('darwin', '/Users/ada', 'dev.scriptorium.x')).toBe('/Users/ada/Library/LaunchAgents/dev.scriptorium.x.plist');
  });
});

describe('the systemd user unit', () => {
  it('runs start on the vault with JSON logs and restarts it on failure', () => {
    const unit = systemdUnit(spec());
    expect(unit).toContain('[Unit]\nDescription=Scriptorium for /home/ada/Notes\nAfter=network-online.target\n');
    expect(setting(unit, 'ExecStart')).toBe(
      '/usr/local/bin/node /usr/local/lib/node_modules/scriptorium/bin/scriptorium.js start /home/ada/Notes --log-format json',
    );
    expect(setting(unit, 'Type')).toBe('simple');
    expect(setting(unit, 'Restart')).toBe('on-failure');
    expect(setting(unit, 'RestartSec')).toBe('10');
    expect(setting(unit, 'KillSignal')).toBe('SIGTERM');
    expect(setting(unit, 'TimeoutStopSec')).toBe('40');
    expect(unit).toContain('[Install]\nWantedBy=default.target\n');
  });

  it('quotes and escapes paths with spaces, &, <, %, $, quotes and backslashes so they read back whole', () => {
    const unit = systemdUnit(spec({ vault: AWKWARD, nodePath: '/opt/my node/bin/node', configPath: '/home/ada/conf 50%.yaml' }));
    expect(systemdWords(setting(unit, 'ExecStart'))).toEqual([
      '/opt/my node/bin/node',
      '/usr/local/lib/node_modules/scriptorium/bin/scriptorium.js',
      'start',
      AWKWARD,
      '--log-format',
      'json',
      '--config',
      '/home/ada/conf 50%.yaml',
    ]);
    // The description is free text: no line break or continuation can leak out of it.
    expect(setting(unit, 'Description')).toBe('Scriptorium for /home/ada/My Notes & <drafts> 100%% $HOME "quoted" it\'s back?slash');
  });

  it('sets PATH as one quoted assignment', () => {
    const unit = systemdUnit(spec({ pathEnv: '/opt/claude code/bin:/usr/bin' }));
    expect(setting(unit, 'Environment')).toBe('"PATH=/opt/claude code/bin:/usr/bin"');
  });

  it('passes --config only when given', () => {
    expect(setting(systemdUnit(spec()), 'ExecStart')).not.toContain('--config');
    expect(setting(systemdUnit(spec({ configPath: '/etc/s.yaml' })), 'ExecStart')).toMatch(/ --config \/etc\/s\.yaml$/);
  });
});

describe('the launchd plist', () => {
  it('runs start on the vault at load, keeps it alive after failures only, and logs into the vault', () => {
    const plist = launchdPlist(spec());
    expect(plist).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist /);
    expect(plist).toContain(`<key>Label</key>\n  <string>dev.scriptorium.${serviceId('/home/ada/Notes')}</string>`);
    expect(plist).toContain('<key>RunAtLoad</key>\n  <true/>');
    expect(plist).toContain('<key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>');
    expect(plist).toContain('<key>ExitTimeOut</key>\n  <integer>40</integer>');
    expect(plist).toContain('<key>WorkingDirectory</key>\n  <string>/home/ada/Notes</string>');
    expect(plist).toContain('<key>PATH</key>\n    <string>/home/ada/.local/bin:/usr/local/bin:/usr/bin:/bin</string>');
    expect(plist).toContain(`<key>StandardOutPath</key>\n  <string>${launchdLogDir('/home/ada/Notes')}/scriptorium.out.log</string>`);
    expect(plist).toContain(`<key>StandardErrorPath</key>\n  <string>/home/ada/Notes/.scriptorium/logs/scriptorium.err.log</string>`);
  });

  it('escapes every string so paths with &, <, > and quotes read back whole', () => {
    const plist = launchdPlist(spec({ vault: AWKWARD, pathEnv: '/a&b:/c<d' }));
    // Every & starts an entity; no raw < or > inside a value.
    expect(plist.match(/&(?!(amp|lt|gt|quot|apos);)/g)).toBeNull();
    for (const m of plist.matchAll(/<string>([^]*?)<\/string>/g)) expect(m[1]).not.toMatch(/[<>"']/);
    const strings = plistStrings(plist);
    expect(strings.slice(1, 7)).toEqual([
      '/usr/local/bin/node',
      '/usr/local/lib/node_modules/scriptorium/bin/scriptorium.js',
      'start',
      AWKWARD,
      '--log-format',
      'json',
    ]);
    expect(strings).toContain('/a&b:/c<d');
    expect(strings).toContain(`${AWKWARD}/.scriptorium/logs/scriptorium.out.log`);
  });

  it('refuses a path with a control character, which a plist cannot hold', () => {
    expect(() => launchdPlist(spec({ vault: '/home/ada/bell\x07' }))).toThrow(/control character/);
  });
});
