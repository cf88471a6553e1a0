import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { expandHome } from '../util/home.ts';
import { parseDuration, PERMISSION_MODES, type PermissionMode } from '../agents/definition.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../vault/note-size.ts';
import { parseMcpServers } from './mcp-servers.ts';
import { parseSecrets } from './secrets.ts';
import { SAFE_POLICY, SETTING_SOURCES, type OperatorPolicy, type SettingSource } from '../agents/policy.ts';

/** The operator's settings for this machine: they live outside the vault, so no note can change them. */
export interface DaemonConfig {
  /** Turns running at once across all agents. */
  concurrency: number;
  claudePath: string;
  policy: OperatorPolicy;
  /** How long a note must be quiet before it is read (an editor writing in chunks). */
  settleMs: number;
  /**
   * A note renamed into place: how long its writer may still append to it and have that in the turn
   * (see the grace in watch/note-events.ts). Not a setting in the config file.
   */
  wholeGraceMs: number;
  /**
   * An inbound message written in place (an editor saving as you type) is taken only once it has been
   * quiet this long (`quiet_for`); the settle time above still applies to every other note. See
   * watch/quiet-notes.ts.
   */
  quietForMs: number;
  /** On Ctrl-C, how long running turns may go on before they are stopped. */
  shutdownGraceMs: number;
  postResultGraceMs: number;
  killGraceMs: number;
  usePolling: boolean;
  /** Transient failures (overloaded, rate limited, network): attempts in all, and the first backoff. */
  maxAttempts: number;
  retryBaseMs: number;
  /** Notes a full or read-only disk kept from being written: first wait before writing again, and the longest. */
  writeRetryBaseMs: number;
  writeRetryMaxMs: number;
  /** How often the daemon checks that its vault folder is still there (removed: it stops). */
  vaultCheckMs: number;
  /** The local HTTP API (127.0.0.1 only): off unless the operator sets a port and a token. */
  api: { port: number; token: string } | undefined;
  /** Keep `Dashboard.md` at the vault root. */
  dashboard: boolean;
  /** At most one dashboard write per this many ms. */
  dashboardIntervalMs: number;
  /**
   * A running turn is shown in its thread note from this long after it starts, and that section is written
   * at most this often (turns/live-turn.ts); 0: never. Not a setting in the config file.
   */
  liveTurnIntervalMs: number;
  /** Outbound webhooks (`notify:`): attempts and the first backoff. */
  notifyMaxAttempts: number;
  notifyBaseDelayMs: number;
  /** Message and definition notes over this many bytes are refused without being read whole (vault/note-size.ts). */
  maxMessageBytes: number;
  /** `NAME=value` lines outside the vault: the values of `secrets` (config/secrets.ts); the environment otherwise. */
  secretsFile: string | undefined;
  /**
   * What all agents together may spend in a local day and a local month (state/vault-budget.ts); past
   * either, no turn starts until the day or month is over. Unset: no cap.
   */
  dailyBudgetUsd: number | undefined;
  monthlyBudgetUsd: number | undefined;
  /** A tool call that needs permission becomes an approval note (`approvals`); off: it is denied, as Claude Code does headless. */
  approvals: boolean;
  /** How long an approval waits for a person before the call is denied (`approval_timeout`). */
  approvalTimeoutMs: number;
}

export const DEFAULT_CONFIG: DaemonConfig = {
  concurrency: 2,
  claudePath: 'claude',
  policy: SAFE_POLICY,
  settleMs: 150,
  wholeGraceMs: 10,
  // Obsidian saves the note you type into about every 2 s: 5 s of quiet is more than two saves missed,
  // so a message is not taken between two saves of the same typing, and a pause to think of a word
  // rarely cuts it; yet a message still runs a few seconds after you stop.
  quietForMs: 5_000,
  shutdownGraceMs: 20_000,
  postResultGraceMs: 5_000,
  killGraceMs: 5_000,
  usePolling: false,
  maxAttempts: 3,
  retryBaseMs: 60_000,
  writeRetryBaseMs: 1_000,
  writeRetryMaxMs: 30_000,
  vaultCheckMs: 2_000,
  api: undefined,
  dashboard: true,
  dashboardIntervalMs: 3_000,
  liveTurnIntervalMs: 3_000,
  notifyMaxAttempts: 5,
  notifyBaseDelayMs: 2_000,
  // 4 MiB: see DEFAULT_MAX_MESSAGE_BYTES for why.
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  secretsFile: undefined,
  dailyBudgetUsd: undefined,
  monthlyBudgetUsd: undefined,
  approvals: true,
  // A day: long enough to answer from wherever you are; the waiting turn holds its lane meanwhile.
  approvalTimeoutMs: 24 * 3_600_000,
};

function stringList(value: unknown): string[] | null {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.map((v) => v.trim()).filter(Boolean) : null;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SCRIPTORIUM_CONFIG) return env.SCRIPTORIUM_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'scriptorium', 'config.yaml');
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Defaults ← config file (YAML, snake_case keys) ← overrides (flags). A missing file is fine;
 * a broken one is an error that stops `start`, naming the file and the key.
 */
export function loadConfig(file: string, overrides: Partial<DaemonConfig> = {}): DaemonConfig {
  let fromFile: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`${file}: cannot be read (${(error as Error).message})`);
  }
  if (text !== undefined) {
    try {
      fromFile = (YAML.parse(text) ?? {}) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`${file}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new ConfigError(`${file}: expected "key: value" lines`);
  }
  const config: DaemonConfig = { ...DEFAULT_CONFIG, policy: { ...DEFAULT_CONFIG.policy } };
  let apiPort: number | undefined;
  let apiToken: string | undefined;
  // JSON would show YAML's .inf and .nan as null.
  const shown = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v));
  const bad = (key: string, expected: string) => new ConfigError(`${file}: ${key} expected ${expected}, found ${shown(fromFile[key])}`);
  for (const [key, value] of Object.entries(fromFile)) {
    switch (key) {
      case 'concurrency':
        if (!Number.isInteger(value) || (value as number) < 1) throw bad(key, 'a whole number from 1');
        config.concurrency = value as number;
        break;
      case 'claude_path':
        if (typeof value !== 'string' || !value) throw bad(key, 'a path');
        config.claudePath = value;
        break;
      case 'allow_bypass_permissions':
      case 'allow_shell':
      case 'allow_workspace_outside_vault': {
        if (typeof value !== 'boolean') throw bad(key, 'true or false');
        const field = { allow_bypass_permissions: 'allowBypassPermissions', allow_shell: 'allowShell', allow_workspace_outside_vault: 'allowWorkspaceOutsideVault' } as const;
        config.policy[field[key]] = value;
        break;
      }
      case 'allowed_permission_modes': {
        const modes = stringList(value);
        const unknown = modes?.filter((m) => !(PERMISSION_MODES as readonly string[]).includes(m));
        if (!modes || unknown!.length > 0) throw bad(key, `a list of ${PERMISSION_MODES.join(', ')}`);
        config.policy.allowedPermissionModes = modes as PermissionMode[];
        break;
      }
      case 'allowed_tools': {
        const tools = stringList(value);
        if (!tools) throw bad(key, 'a list of tool names such as [Read, Grep, WebSearch, "mcp__github__*"]');
        config.policy.allowedTools = tools;
        break;
      }
      case 'allowed_workspaces': {
        const dirs = stringList(value);
        if (!dirs || dirs.some((d) => !path.isAbsolute(expandHome(d)))) throw bad(key, 'a list of absolute folders (~/ allowed)');
        config.policy.allowedWorkspaces = dirs.map((d) => expandHome(d));
        break;
      }
      case 'allowed_notify_urls': {
        const urls = stringList(value);
        if (!urls || urls.some((u) => !/^https?:\/\/[^\s]+$/i.test(u))) throw bad(key, 'a list of http:// or https:// address prefixes');
        config.policy.allowedNotifyUrls = urls;
        break;
      }
      case 'setting_sources': {
        const sources = stringList(value);
        if (!sources || sources.some((source) => !(SETTING_SOURCES as readonly string[]).includes(source))) throw bad(key, `a list of ${SETTING_SOURCES.join(', ')} (or [] for none)`);
        config.policy.settingSources = [...new Set(sources)] as SettingSource[];
        break;
      }
      case 'api_port':
        if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) throw bad(key, 'a port number from 0 to 65535 (0: any free port)');
        apiPort = value as number;
        break;
      case 'api_token':
        // Not quoted back in the error: it is meant to be a secret.
        if (typeof value !== 'string' || value.trim().length < 16 || /\s/.test(value.trim())) {
          throw new ConfigError(`${file}: api_token expected a secret of at least 16 characters without spaces (for example the output of: openssl rand -hex 24)`);
        }
        apiToken = value.trim();
        break;
      case 'dashboard':
        if (typeof value !== 'boolean') throw bad(key, 'true or false');
        config.dashboard = value;
        break;
      case 'shutdown_grace': {
        const ms = parseDuration(value);
        if (ms === null) throw bad(key, 'a duration such as 20s');
        config.shutdownGraceMs = ms;
        break;
      }
      case 'quiet_for': {
        const ms = parseDuration(value);
        if (ms === null) throw bad(key, 'a duration such as 5s or 500ms');
        config.quietForMs = ms;
        break;
      }
      case 'max_message_bytes':
        // Under 64 KB a note's own frontmatter might not fit; the size is read with stat, so any larger limit costs nothing.
        if (!Number.isInteger(value) || (value as number) < 65_536) throw bad(key, 'a whole number of bytes from 65536 (64 KB), such as 4194304 (4 MiB)');
        config.maxMessageBytes = value as number;
        break;
      case 'mcp_servers': {
        const servers = parseMcpServers(value);
        if (typeof servers === 'string') throw new ConfigError(`${file}: mcp_servers: ${servers}`);
        config.policy.mcpServers = servers;
        break;
      }
      case 'secrets': {
        const secrets = parseSecrets(value);
        if (typeof secrets === 'string') throw new ConfigError(`${file}: secrets: ${secrets}`);
        config.policy.secrets = secrets;
        break;
      }
      case 'secrets_file':
        if (typeof value !== 'string' || !path.isAbsolute(expandHome(value))) throw bad(key, 'an absolute path to a file of NAME=value lines (~/ allowed)');
        config.secretsFile = expandHome(value);
        break;
      case 'daily_budget_usd':
      case 'monthly_budget_usd':
        // A YAML number only: "5$" or "five" must not pass as no cap at all.
        if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw bad(key, 'a number of dollars above 0, such as 5 or 2.50');
        config[key === 'daily_budget_usd' ? 'dailyBudgetUsd' : 'monthlyBudgetUsd'] = value;
        break;
      case 'approvals':
        if (typeof value !== 'boolean') throw bad(key, 'true or false');
        config.approvals = value;
        break;
      case 'approval_timeout': {
        const ms = parseDuration(value);
        // Claude Code waits at most ~24.8 days on one tool call.
        if (ms === null || ms > 2 ** 31 - 120_000) throw bad(key, 'a duration such as 30m, 8h or 24h (at most 24 days)');
        config.approvalTimeoutMs = ms;
        break;
      }
      case 'use_polling':
        if (typeof value !== 'boolean') throw bad(key, 'true or false');
        config.usePolling = value;
        break;
      default:
        throw new ConfigError(`${file}: unknown setting "${key}"`);
    }
  }
  if (apiPort !== undefined && apiToken === undefined) throw new ConfigError(`${file}: api_port is set but api_token is not: the HTTP API needs a token`);
  if (apiToken !== undefined && apiPort === undefined) throw new ConfigError(`${file}: api_token is set but api_port is not: add api_port to turn the HTTP API on`);
  if (apiPort !== undefined && apiToken !== undefined) config.api = { port: apiPort, token: apiToken };
  const policy = { ...config.policy, ...overrides.policy };
  // Flags add folders to the file's list rather than replace it.
  if (config.policy.allowedWorkspaces && overrides.policy?.allowedWorkspaces) {
    policy.allowedWorkspaces = [...config.policy.allowedWorkspaces, ...overrides.policy.allowedWorkspaces];
  }
  return { ...config, ...overrides, policy };
}
