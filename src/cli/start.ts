import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { expandHome } from '../util/home.ts';
import { ConfigError, defaultConfigPath, loadConfig, type DaemonConfig } from '../config/operator-config.ts';
import { Daemon } from '../daemon/daemon.ts';
import { LockError } from '../state/lock.ts';
import { createLogFile, LOG_FILE } from '../util/log-file.ts';
import { createLogger, formatHuman, type LogLevel } from '../util/logger.ts';
import { createRedactor } from '../util/redact.ts';
import { SecretsError } from '../config/secrets.ts';
import { addConfigSecrets } from '../config/config-secrets.ts';
import { err, UsageError } from './output.ts';
import { attachProgress } from './progress.ts';
import { resolveVault } from './vault-arg.ts';

export const START_HELP = `scriptorium start [vault] [options]

Watch the vault and run a Claude turn for every inbound message note.

Options:
  --concurrency N     turns running at once across all agents (default 2)
  --claude PATH       the claude executable (default: claude on PATH)
  --config FILE       operator config (default ${defaultConfigPath()})
  --log-format F      human | json (default: human on a terminal, json otherwise)
  --log-level L       debug | info | warn | error (default info)
  --polling           poll the vault instead of native file events

Operator policy (adds to the config file; see the README's "Operator settings"):
  --allow-shell                 definitions may ask for Bash
  --allow-bypass-permissions    definitions may ask for permission_mode: bypassPermissions
  --allow-workspace DIR         a definition's workspace may be in DIR (repeatable)`;

export async function startCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      concurrency: { type: 'string' },
      claude: { type: 'string' },
      config: { type: 'string' },
      'log-format': { type: 'string' },
      'log-level': { type: 'string' },
      polling: { type: 'boolean' },
      'allow-shell': { type: 'boolean' },
      'allow-bypass-permissions': { type: 'boolean' },
      'allow-workspace': { type: 'string', multiple: true },
    },
  });
  const vault = resolveVault(positionals[0]);
  const overrides: Partial<DaemonConfig> = {};
  if (values.concurrency !== undefined) {
    const n = Number(values.concurrency);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency expects a whole number from 1, got "${values.concurrency}"`);
    overrides.concurrency = n;
  }
  if (values.claude) overrides.claudePath = values.claude;
  if (values.polling) overrides.usePolling = true;
  const policy: Partial<DaemonConfig['policy']> = {};
  if (values['allow-shell']) policy.allowShell = true;
  if (values['allow-bypass-permissions']) policy.allowBypassPermissions = true;
  if (values['allow-workspace']) {
    policy.allowedWorkspaces = values['allow-workspace'].map((dir) => {
      const absolute = path.resolve(expandHome(dir));
      if (!existsSync(absolute)) throw new UsageError(`--allow-workspace: ${absolute} does not exist`);
      return absolute;
    });
  }
  if (Object.keys(policy).length > 0) overrides.policy = policy as DaemonConfig['policy'];
  const format = values['log-format'] ?? (process.stderr.isTTY ? 'human' : 'json');
  if (format !== 'human' && format !== 'json') throw new UsageError(`--log-format expects human or json, got "${format}"`);
  const level = (values['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level expects debug, info, warn or error, got "${level}"`);

  let config: DaemonConfig;
  try {
    config = loadConfig(values.config ?? defaultConfigPath(), overrides);
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`scriptorium: ${error.message}`);
      return 2;
    }
    throw error;
  }
  // The log file always gets JSON lines (what `scriptorium logs` reads); the terminal gets the chosen
  // format. Redaction happens inside createLogger, before `write`, so both are redacted; one redactor,
  // shared with the daemon, so the lines logged here (progress, shutdown) know the config's secrets too.
  const redact = createRedactor();
  addConfigSecrets(redact, config);
  const logFile = createLogFile(path.join(vault, LOG_FILE), { within: vault });
  const logger = createLogger({
    redact,
    format: 'json',
    level,
    write: (line) => {
      logFile.write(line);
      err(format === 'human' ? formatHuman(JSON.parse(line) as Record<string, unknown>) : line);
    },
  });
  let daemon: Daemon;
  try {
    daemon = new Daemon({ vault, config, logger, redact });
  } catch (error) {
    // A secret with no value, or a secrets file that cannot be used: a config problem, said as one.
    if (!(error instanceof SecretsError)) throw error;
    err(`scriptorium: ${values.config ?? defaultConfigPath()}: ${error.message}`);
    logFile.close();
    return 2;
  }
  attachProgress(daemon.events, logger);
  // Signals are wired before the start-up scan, which may already start turns: Ctrl-C, a closed
  // terminal (SIGHUP) or a service manager's SIGTERM all stop cleanly, whenever they come.
  let stopping = false;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C: stop the running turns now rather than after the grace period.
      logger.warn('stopping running turns now', { signal });
      daemon.forceStop();
      return;
    }
    stopping = true;
    logger.info('shutting down: no new turns; running ones may finish (Ctrl-C again to stop them now)', {
      signal,
      graceSeconds: Math.round(config.shutdownGraceMs / 1000),
    });
    void daemon.close().then(() => {
      logFile.close();
      resolveExit(0);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));

  try {
    await daemon.start();
  } catch (error) {
    // Whatever failed (the lock, the API's port), what did start (watcher, lock) is stopped again.
    if (!(error instanceof LockError)) await daemon.close({ graceMs: 0 }).catch(() => {});
    err(`scriptorium: ${(error as Error).message}`);
    logFile.close();
    return 1;
  }
  // The vault folder removed under it: the daemon has stopped itself; the process exits non-zero.
  void daemon.stoppedItself().then((reason) => {
    if (stopping) return;
    stopping = true;
    err(`scriptorium: ${reason}; stopped.`);
    logFile.close();
    resolveExit(1);
  });
  // Messages already in the vault are running by now; this is said once every folder is watched.
  void daemon.watching().then(() => {
    if (format === 'human' && !stopping) err(`Scriptorium is watching ${vault}. Press Ctrl-C to stop.`);
  });
  return exited;
}
