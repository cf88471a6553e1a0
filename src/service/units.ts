import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * The service files that run `scriptorium start <vault>` at login and restart it when it fails: a systemd
 * user unit on Linux, a launchd agent on macOS. Pure text; `cli/service.ts` decides where it goes.
 */

export type Platform = 'linux' | 'darwin';
export const PLATFORMS: readonly Platform[] = ['linux', 'darwin'];

export interface ServiceSpec {
  /** The vault, absolute. */
  vault: string;
  /** The node that runs the daemon, absolute: the service must not depend on which node PATH finds. */
  nodePath: string;
  /** `bin/scriptorium.js`, absolute. */
  scriptPath: string;
  /** The PATH the daemon runs with; it must hold `claude` (and the `node` its launcher asks for). */
  pathEnv: string;
  /** Passed as `--config` when set: the service manager does not see the shell's environment. */
  configPath?: string;
}

/** Kept in step with the daemon's 20 s shutdown grace: the service manager waits this long before SIGKILL. */
const STOP_TIMEOUT_SECONDS = 40;

/**
 * `<slug>-<hash>`: the folder name made safe for unit names and labels, plus a hash of the absolute path,
 * so two vaults both called "Notes" get two services, and the same vault always gets the same one.
 */
export function serviceId(vault: string): string {
  const slug =
    path
      .basename(vault)
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'vault';
  const hash = createHash('sha256').update(vault).digest('hex').slice(0, 8);
  return `${slug}-${hash}`;
}

/** The systemd unit name (without `.service`) or the launchd label. */
export function serviceName(vault: string, platform: Platform): string {
  return platform === 'linux' ? `scriptorium-${serviceId(vault)}` : `dev.scriptorium.${serviceId(vault)}`;
}

/** Where the service manager looks for a per-user service called `name`. */
export function unitPath(platform: Platform, home: string, name: string): string {
  return platform === 'linux'
    ? path.join(home, '.config', 'systemd', 'user', `${name}.service`)
    : path.join(home, 'Library', 'LaunchAgents', `${name}.plist`);
}

/** Where launchd sends the daemon's output (systemd sends it to the journal). */
export function launchdLogDir(vault: string): string {
  return path.join(vault, '.scriptorium', 'logs');
}

/** The daemon's command line. JSON logs: nobody reads a terminal there, and journals and log files keep fields. */
export function serviceArgs(spec: ServiceSpec): string[] {
  const args = [spec.nodePath, spec.scriptPath, 'start', spec.vault, '--log-format', 'json'];
  if (spec.configPath) args.push('--config', spec.configPath);
  return args;
}

export function systemdUnit(spec: ServiceSpec): string {
  return [
    '[Unit]',
    `Description=Scriptorium for ${systemdText(spec.vault)}`,
    // Ordering only (a user manager has no network-online.target of its own); harmless, and right for a
    // system-wide copy of this unit.
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${serviceArgs(spec).map(systemdWord).join(' ')}`,
    `Environment=${systemdQuoted(`PATH=${spec.pathEnv}`)}`,
    'Restart=on-failure',
    'RestartSec=10',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export function launchdPlist(spec: ServiceSpec): string {
  const logs = launchdLogDir(spec.vault);
  const string = (value: string) => `<string>${xml(value)}</string>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${string(serviceName(spec.vault, 'darwin'))}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...serviceArgs(spec).map((arg) => `    ${string(arg)}`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    '    <key>PATH</key>',
    `    ${string(spec.pathEnv)}`,
    '  </dict>',
    '  <key>WorkingDirectory</key>',
    `  ${string(spec.vault)}`,
    '  <key>RunAtLoad</key>',
    '  <true/>',
    // Restart after a crash or a failed start, but not after a clean stop (SIGTERM exits 0).
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ExitTimeOut</key>',
    `  <integer>${STOP_TIMEOUT_SECONDS}</integer>`,
    '  <key>StandardOutPath</key>',
    `  ${string(path.join(logs, 'scriptorium.out.log'))}`,
    '  <key>StandardErrorPath</key>',
    `  ${string(path.join(logs, 'scriptorium.err.log'))}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/**
 * One ExecStart word. systemd splits the line on whitespace, reads "..." with C escapes, expands `$VAR`
 * (`$$` is a `$`) and `%` specifiers (`%%` is a `%`), so anything beyond plain path characters is quoted.
 */
function systemdWord(word: string): string {
  const literal = word.replace(/\$/g, () => '$$');
  return /^[A-Za-z0-9_@%+=:,./$-]+$/.test(word) ? literal.replace(/%/g, '%%') : systemdQuoted(literal);
}

/** A double-quoted value: C escapes for `\`, `"` and control characters; `%%` for specifiers. */
function systemdQuoted(value: string): string {
  const escaped = value
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/%/g, '%%');
  return `"${escaped}"`;
}

/**
 * Free text such as Description, which systemd neither unquotes nor unescapes: a line break would end the
 * setting and a trailing backslash would continue it, so those become `?`; only specifiers need `%%`.
 */
function systemdText(value: string): string {
  return value.replace(/[\x00-\x1f\x7f\\]/g, '?').replace(/%/g, '%%');
}

/** XML 1.0 text; characters it cannot hold at all (most control characters) are refused, not mangled. */
function xml(value: string): string {
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(value)) {
    throw new Error(`${JSON.stringify(value)} holds a control character, which a launchd plist cannot contain`);
  }
  return value.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}
