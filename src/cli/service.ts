import { accessSync, constants, existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultConfigPath } from '../config/operator-config.ts';
import {
  launchdLogDir,
  launchdPlist,
  PLATFORMS,
  serviceName,
  systemdUnit,
  unitPath,
  type Platform,
  type ServiceSpec,
} from '../service/units.ts';
import { err, out, UsageError } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const SERVICE_HELP = `scriptorium service install [vault] [options]
scriptorium service uninstall [vault] [options]

Run "scriptorium start <vault>" as a service that starts when you log in and restarts if it fails:
a systemd user unit on Linux, a launchd agent on macOS.

Without --write, install prints the file (on stdout) and where it goes and how to enable it (on stderr);
uninstall prints the commands that stop and remove it.

Options:
  --write            write the file (install) or remove it (uninstall); asks first on a terminal
  --yes              do not ask; needed with --write when stdin is not a terminal, and to replace
                     an existing file that differs
  --platform P       linux | darwin (default: this machine's)
  --config FILE      the operator config the service starts with (install)`;

export async function serviceCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      write: { type: 'boolean' },
      yes: { type: 'boolean' },
      platform: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const [action, vaultArg, ...extra] = positionals;
  if (action !== 'install' && action !== 'uninstall') {
    throw new UsageError(action ? `unknown subcommand "${action}"; expected install or uninstall` : 'expected install or uninstall');
  }
  if (extra.length > 0) throw new UsageError(`one vault at most, got also ${extra.map((a) => `"${a}"`).join(' ')}`);
  const platform = choosePlatform(values.platform);
  const home = process.env.HOME || os.homedir();
  const options = { write: values.write ?? false, yes: values.yes ?? false };
  if (action === 'install') return install(resolveVault(vaultArg), platform, home, options, values.config);
  if (values.config !== undefined) throw new UsageError('--config is for install');
  return uninstall(vaultForUninstall(vaultArg), platform, home, options);
}

interface WriteOptions {
  write: boolean;
  yes: boolean;
}

async function install(vault: string, platform: Platform, home: string, options: WriteOptions, config: string | undefined): Promise<number> {
  const scriptPath = fileURLToPath(new URL('../../bin/scriptorium.js', import.meta.url));
  const found = servicePath(process.env.PATH ?? '', process.execPath);
  const spec: ServiceSpec = { vault, nodePath: process.execPath, scriptPath, pathEnv: found.pathEnv };
  const configPath = config !== undefined ? path.resolve(config) : bakedConfigPath();
  if (configPath) spec.configPath = configPath;
  warnAbout(scriptPath, found.claude);

  const name = serviceName(vault, platform);
  const file = unitPath(platform, home, name);
  const text = platform === 'linux' ? systemdUnit(spec) : launchdPlist(spec);
  const existing = readIfExists(file);
  const replacing = existing !== undefined && existing !== text;

  if (!options.write) {
    out(text);
    err(
      [
        '',
        `Save it as ${file}`,
        `(or let Scriptorium write it: scriptorium service install ${shellWord(vault)} --write), then run:`,
        '',
        ...enableSteps(platform, vault, name, file, replacing, true).map((line) => `  ${line}`),
        ...afterNotes(platform, vault),
      ].join('\n'),
    );
    return 0;
  }

  if (existing === text) {
    out(`${file} is already installed and up to date. To (re)start it:\n\n`);
  } else {
    if (replacing && !options.yes) {
      err(`${file} exists and differs from the unit for ${vault}. Run without --write to see the new one; add --yes to replace it.`);
      return 1;
    }
    const refused = await consent(options.yes, 'Write', file);
    if (refused !== undefined) return refused;
    await mkdir(path.dirname(file), { recursive: true });
    // launchd opens its log files but does not create their folder; without it the agent never starts.
    if (platform === 'darwin') await mkdir(launchdLogDir(vault), { recursive: true });
    await writeFile(file, text, { encoding: 'utf8', mode: 0o644 });
    out(`Wrote ${file}. To start it now and at every login:\n\n`);
  }
  out([...enableSteps(platform, vault, name, file, replacing).map((line) => `  ${line}`), ...afterNotes(platform, vault)].join('\n'));
  return 0;
}

async function uninstall(vault: string, platform: Platform, home: string, options: WriteOptions): Promise<number> {
  const name = serviceName(vault, platform);
  const file = unitPath(platform, home, name);
  if (!existsSync(file)) {
    out(`Nothing to remove: there is no ${file} for ${vault}.`);
    return 0;
  }
  if (!options.write) {
    const steps =
      platform === 'linux'
        ? [`systemctl --user disable --now ${name}.service`, `rm ${shellWord(file)}`, 'systemctl --user daemon-reload']
        : [`launchctl bootout gui/$(id -u)/${name}`, `rm ${shellWord(file)}`];
    out(`To stop the service for ${vault} and remove it:\n\n${steps.map((line) => `  ${line}`).join('\n')}`);
    err(`\n(or let Scriptorium remove the file: scriptorium service uninstall ${shellWord(vault)} --write)`);
    return 0;
  }
  const refused = await consent(options.yes, 'Remove', file);
  if (refused !== undefined) return refused;
  await rm(file, { force: true });
  if (platform === 'linux') {
    // `enable` linked the unit into default.target.wants; with the unit gone, `disable` can no longer find
    // that link, so it goes with the file.
    const wants = path.join(path.dirname(file), 'default.target.wants', `${name}.service`);
    if (lstatSync(wants, { throwIfNoEntry: false })?.isSymbolicLink()) await rm(wants, { force: true });
  }
  const steps =
    platform === 'linux' ? [`systemctl --user stop ${name}.service`, 'systemctl --user daemon-reload'] : [`launchctl bootout gui/$(id -u)/${name}`];
  out(`Removed ${file}. If it is running, stop it:\n\n${steps.map((line) => `  ${line}`).join('\n')}`);
  return 0;
}

function choosePlatform(option: string | undefined): Platform {
  if (option !== undefined) {
    if (!(PLATFORMS as readonly string[]).includes(option)) throw new UsageError(`--platform expects linux or darwin, got "${option}"`);
    return option as Platform;
  }
  if (process.platform === 'linux' || process.platform === 'darwin') return process.platform;
  throw new UsageError(`services are written for linux (systemd) and darwin (launchd), not ${process.platform}; add --platform to print one anyway`);
}

/** Uninstalling must work after the vault folder is gone (often the reason for it): the name needs only the path. */
function vaultForUninstall(arg: string | undefined): string {
  return arg !== undefined && !existsSync(path.resolve(arg)) ? path.resolve(arg) : resolveVault(arg);
}

/**
 * The PATH the service runs with: this shell's absolute folders that exist (a service has no current folder
 * to resolve `.` against), plus the folder of this node, which `claude`'s `#!/usr/bin/env node` needs.
 */
export function servicePath(pathEnv: string, nodePath: string): { pathEnv: string; claude: string | undefined } {
  const dirs: string[] = [];
  let claude: string | undefined;
  for (const entry of pathEnv.split(path.delimiter)) {
    if (!entry) continue;
    const dir = path.resolve(entry);
    if (dirs.includes(dir) || !isDirectory(dir)) continue;
    dirs.push(dir);
    if (!claude && isExecutable(path.join(dir, 'claude'))) claude = path.join(dir, 'claude');
  }
  const nodeDir = path.dirname(nodePath);
  if (!dirs.includes(nodeDir)) dirs.push(nodeDir);
  return { pathEnv: dirs.join(path.delimiter), claude };
}

/** The config `start` would read here, when it comes from this shell's environment, which the service lacks. */
function bakedConfigPath(): string | undefined {
  return process.env.SCRIPTORIUM_CONFIG || process.env.XDG_CONFIG_HOME ? path.resolve(defaultConfigPath()) : undefined;
}

function warnAbout(scriptPath: string, claude: string | undefined): void {
  if (!claude) {
    err('warning: claude is not on PATH, so the service could not run a turn. Install Claude Code, or run this again with its folder on PATH.');
  }
  if (scriptPath.split(path.sep).includes('_npx')) {
    err(`warning: this scriptorium runs from npx's cache (${scriptPath}), which npm may clear. Install it (npm install -g scriptorium) and run this again from there.`);
  }
  if (!existsSync(new URL('../../dist/cli/run.js', import.meta.url))) {
    err(`warning: ${scriptPath} needs the built dist/ folder, which is missing; run "npm run build" in ${path.dirname(path.dirname(scriptPath))}.`);
  }
}

/** `printed`: the file is not written yet, so launchd's log folder may not exist either. */
function enableSteps(platform: Platform, vault: string, name: string, file: string, replacing: boolean, printed = false): string[] {
  if (platform === 'linux') {
    return [
      'systemctl --user daemon-reload',
      `systemctl --user enable --now ${name}.service`,
      ...(replacing ? [`systemctl --user restart ${name}.service     # it was running the old unit`] : []),
      `journalctl --user -u ${name} -f     # follow its log`,
    ];
  }
  return [
    ...(replacing ? [`launchctl bootout gui/$(id -u)/${name}     # unload the old agent first`] : []),
    ...(printed ? [`mkdir -p ${shellWord(launchdLogDir(vault))}`] : []),
    `launchctl bootstrap gui/$(id -u) ${shellWord(file)}`,
    `launchctl kickstart -k gui/$(id -u)/${name}     # restart it, e.g. after an upgrade`,
  ];
}

function afterNotes(platform: Platform, vault: string): string[] {
  return platform === 'linux'
    ? ['', 'A user service stops when you log out; to keep it running, and start it at boot: loginctl enable-linger $USER']
    : ['', `Its output goes to ${launchdLogDir(vault)}/.`];
}

/**
 * Whether to go ahead: --yes, or "y" from the person at the terminal. Without a terminal there is no one to
 * ask, and guessing either way is wrong, so that is a usage error. Returns the exit code when not going ahead.
 */
async function consent(yes: boolean, verb: 'Write' | 'Remove', file: string): Promise<number | undefined> {
  if (yes) return undefined;
  if (!process.stdin.isTTY) {
    err(`stdin is not a terminal, so there is no one to confirm it: add --yes to ${verb.toLowerCase()} ${file}.`);
    return 2;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    if (/^y(es)?$/i.test((await rl.question(`${verb} ${file}? [y/N] `)).trim())) return undefined;
  } finally {
    rl.close();
  }
  err(`Nothing done: ${file} is as it was.`);
  return 1;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isDirectory(dir: string): boolean {
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A word for a POSIX shell: plain paths as they are, anything else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
