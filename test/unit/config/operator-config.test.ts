import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_CONFIG, defaultConfigPath, loadConfig } from '../../../src/config/operator-config.ts';
import { describePolicy } from '../../../src/doctor/config-check.ts';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-config-'));
  file = path.join(dir, 'config.yaml');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = async (yaml: string, overrides = {}) => {
  await writeFile(file, yaml);
  return loadConfig(file, overrides);
};

/** The ConfigError message a broken file gives. */
const errorOf = async (yaml: string): Promise<string> => {
  await writeFile(file, yaml);
  try {
    loadConfig(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('a missing file gives the defaults', () => {
    expect(loadConfig(path.join(dir, 'nope.yaml'))).toEqual({
      concurrency: 2,
      claudePath: 'claude',
      policy: { allowBypassPermissions: false, allowShell: false, allowWorkspaceOutsideVault: false },
      settleMs: 150,
      wholeGraceMs: 10,
      quietForMs: 5_000,
      shutdownGraceMs: 20_000,
      postResultGraceMs: 5_000,
      killGraceMs: 5_000,
      usePolling: false,
      maxAttempts: 3,
      retryBaseMs: 60_000,
      api: undefined,
      dashboard: true,
      dashboardIntervalMs: 3_000,
      liveTurnIntervalMs: 3_000,
      notifyMaxAttempts: 5,
      notifyBaseDelayMs: 2_000,
      maxMessageBytes: 4 * 1024 * 1024,
      approvals: true,
      approvalTimeoutMs: 24 * 60 * 60 * 1000,
      vaultCheckMs: 2_000,
      writeRetryBaseMs: 1_000,
      writeRetryMaxMs: 30_000,
    });
  });

  it('api_port with api_token turns the HTTP API on; one without the other is an error; the token is never quoted', async () => {
    expect((await load('api_port: 4141\napi_token: 0123456789abcdef0123')).api).toEqual({ port: 4141, token: '0123456789abcdef0123' });
    expect(await errorOf('api_port: 4141')).toBe(`${file}: api_port is set but api_token is not: the HTTP API needs a token`);
    expect(await errorOf('api_token: 0123456789abcdef0123')).toBe(`${file}: api_token is set but api_port is not: add api_port to turn the HTTP API on`);
    const short = await errorOf('api_port: 4141\napi_token: short-secret');
    expect(short).toMatch(/api_token expected a secret of at least 16 characters/);
    expect(short).not.toContain('short-secret');
    expect(await errorOf('api_port: 70000\napi_token: 0123456789abcdef0123')).toMatch(/api_port expected a port number/);
  });

  it('an empty file or one with only comments gives the defaults', async () => {
    expect(await load('')).toEqual(DEFAULT_CONFIG);
    expect(await load('# nothing set yet\n')).toEqual(DEFAULT_CONFIG);
  });

  it('reads every key', async () => {
    const config = await load(
      [
        'concurrency: 4',
        'claude_path: /opt/claude/bin/claude',
        'allow_bypass_permissions: true',
        'allow_shell: true',
        'allow_workspace_outside_vault: true',
        'shutdown_grace: 1m',
        'use_polling: true',
        'max_message_bytes: 1048576',
      ].join('\n'),
    );
    expect(config).toEqual({
      ...DEFAULT_CONFIG,
      concurrency: 4,
      claudePath: '/opt/claude/bin/claude',
      policy: { allowBypassPermissions: true, allowShell: true, allowWorkspaceOutsideVault: true },
      shutdownGraceMs: 60_000,
      usePolling: true,
      maxMessageBytes: 1_048_576,
    });
  });

  it('daily_budget_usd and monthly_budget_usd cap the whole vault; unset, there is no cap', async () => {
    expect(DEFAULT_CONFIG.dailyBudgetUsd).toBeUndefined();
    expect(DEFAULT_CONFIG.monthlyBudgetUsd).toBeUndefined();
    const config = await load('daily_budget_usd: 5\nmonthly_budget_usd: 120.5\n');
    expect(config).toMatchObject({ dailyBudgetUsd: 5, monthlyBudgetUsd: 120.5 });
    expect((await load('daily_budget_usd: 0.25')).monthlyBudgetUsd).toBeUndefined();
    const lines = describePolicy(config).map((f) => f.message);
    expect(lines).toContain('vault spending caps, all agents together: $5.00 a day (daily_budget_usd), $120.50 a month (monthly_budget_usd); past one, no turn starts until the day or month is over');
    expect(describePolicy(DEFAULT_CONFIG).map((f) => f.message)).toContain('vault spending caps, all agents together: none (daily_budget_usd and monthly_budget_usd set them)');
  });

  it('max_message_bytes: 4 MiB unless set, so a large prompt (a 2 MB pasted log) still runs', async () => {
    expect((await load('')).maxMessageBytes).toBe(4 * 1024 * 1024);
    expect(DEFAULT_CONFIG.maxMessageBytes).toBeGreaterThan(2_000_000);
  });

  it('each policy key lifts only its own restriction', async () => {
    expect((await load('allow_shell: true')).policy).toEqual({ allowBypassPermissions: false, allowShell: true, allowWorkspaceOutsideVault: false });
  });

  it('reads the allowlists: modes, tools, workspaces (~ expanded), notify addresses', async () => {
    const config = await load(
      'allowed_permission_modes: [acceptEdits, plan]\nallowed_tools: [Read, Grep, "mcp__github__*"]\nallowed_workspaces: [~/code, /srv/data]\nallowed_notify_urls: [https://hooks.example.com/]',
    );
    expect(config.policy.allowedPermissionModes).toEqual(['acceptEdits', 'plan']);
    expect(config.policy.allowedTools).toEqual(['Read', 'Grep', 'mcp__github__*']);
    expect(config.policy.allowedWorkspaces).toEqual([path.join(os.homedir(), 'code'), '/srv/data']);
    expect(config.policy.allowedNotifyUrls).toEqual(['https://hooks.example.com/']);
  });

  it('setting_sources: which Claude Code settings turns load; unset means the user settings only', async () => {
    expect(DEFAULT_CONFIG.policy.settingSources).toBeUndefined();
    expect((await load('setting_sources: [user, project]\n')).policy.settingSources).toEqual(['user', 'project']);
    expect((await load('setting_sources: []\n')).policy.settingSources).toEqual([]);
    expect(await errorOf('setting_sources: [user, vault]\n')).toContain('setting_sources expected a list of user, project, local');
    const lines = describePolicy(await load('setting_sources: [user, project]\n')).map((f) => f.message);
    expect(lines).toContain("Claude Code settings loaded by turns (setting_sources): user, project (project: the working folder's .claude/, .mcp.json and CLAUDE.md load, hooks included)");
    expect(describePolicy(loadConfig(path.join(dir, 'nope.yaml'))).map((f) => f.message)).toContain('Claude Code settings loaded by turns (setting_sources): user');
  });

  it('workspace folders from flags add to the file\'s', async () => {
    const config = await load('allowed_workspaces: [/srv/a]', { policy: { allowedWorkspaces: ['/srv/b'] } });
    expect(config.policy.allowedWorkspaces).toEqual(['/srv/a', '/srv/b']);
  });

  it('shutdown_grace accepts plain seconds', async () => {
    expect((await load('shutdown_grace: 30')).shutdownGraceMs).toBe(30_000);
  });

  it('quiet_for is a duration: how long a message written in place must be quiet', async () => {
    expect((await load('quiet_for: 3s')).quietForMs).toBe(3_000);
    expect((await load('quiet_for: 500ms')).quietForMs).toBe(500);
    expect((await load('quiet_for: 10')).quietForMs).toBe(10_000);
  });

  it.each([
    ['concurrency: 0', 'concurrency expected a whole number from 1, found 0'],
    ['concurrency: 1.5', 'concurrency expected a whole number from 1, found 1.5'],
    ['concurrency: "2"', 'concurrency expected a whole number from 1, found "2"'],
    ['claude_path: ""', 'claude_path expected a path, found ""'],
    ['claude_path: 5', 'claude_path expected a path, found 5'],
    ['allow_shell: yes', 'allow_shell expected true or false, found "yes"'],
    ['allow_bypass_permissions: 1', 'allow_bypass_permissions expected true or false, found 1'],
    ['allow_workspace_outside_vault: "true"', 'allow_workspace_outside_vault expected true or false, found "true"'],
    ['shutdown_grace: soon', 'shutdown_grace expected a duration such as 20s, found "soon"'],
    ['quiet_for: 0', 'quiet_for expected a duration such as 5s or 500ms, found 0'],
    ['quiet_for: later', 'quiet_for expected a duration such as 5s or 500ms, found "later"'],
    ['use_polling: maybe', 'use_polling expected true or false, found "maybe"'],
    ['max_message_bytes: 1000', 'max_message_bytes expected a whole number of bytes from 65536 (64 KB), such as 4194304 (4 MiB), found 1000'],
    ['max_message_bytes: 4MB', 'max_message_bytes expected a whole number of bytes from 65536 (64 KB), such as 4194304 (4 MiB), found "4MB"'],
    ['allowed_permission_modes: [plan, yolo]', 'allowed_permission_modes expected a list of acceptEdits, auto, bypassPermissions, default, dontAsk, manual, plan, found ["plan","yolo"]'],
    ['allowed_tools: 3', 'allowed_tools expected a list of tool names such as [Read, Grep, WebSearch, "mcp__github__*"], found 3'],
    ['allowed_workspaces: [code]', 'allowed_workspaces expected a list of absolute folders (~/ allowed), found ["code"]'],
    ['daily_budget_usd: 0', 'daily_budget_usd expected a number of dollars above 0, such as 5 or 2.50, found 0'],
    ['daily_budget_usd: -1', 'daily_budget_usd expected a number of dollars above 0, such as 5 or 2.50, found -1'],
    ['daily_budget_usd: "5"', 'daily_budget_usd expected a number of dollars above 0, such as 5 or 2.50, found "5"'],
    ['monthly_budget_usd: $100', 'monthly_budget_usd expected a number of dollars above 0, such as 5 or 2.50, found "$100"'],
    ['monthly_budget_usd: .inf', 'monthly_budget_usd expected a number of dollars above 0, such as 5 or 2.50, found Infinity'],
    ['allowed_notify_urls: [ftp://x]', 'allowed_notify_urls expected a list of http:// or https:// address prefixes, found ["ftp://x"]'],
  ])('a wrong type names the file and the key: %s', async (yaml, message) => {
    expect(await errorOf(yaml)).toBe(`${file}: ${message}`);
  });

  it('an unknown key is refused, naming it', async () => {
    expect(await errorOf('concurency: 3')).toBe(`${file}: unknown setting "concurency"`);
  });

  it('invalid YAML names the file', async () => {
    expect(await errorOf('concurrency: [1,')).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML \\(`));
  });

  it('a file that is a list is refused', async () => {
    expect(await errorOf('- concurrency: 3')).toBe(`${file}: expected "key: value" lines`);
  });

  it('a file that is one sentence is refused', async () => {
    expect(await errorOf('just some text')).toBe(`${file}: expected "key: value" lines`);
  });

  it('a path that cannot be read as a file is an error naming it', () => {
    expect(() => loadConfig(dir)).toThrow(ConfigError);
    expect(() => loadConfig(dir)).toThrow(`${dir}: cannot be read`);
  });

  it('overrides (flags) win over the file', async () => {
    const config = await load('concurrency: 4\nuse_polling: false\nallow_shell: true', { concurrency: 1, usePolling: true, settleMs: 10 });
    expect(config.concurrency).toBe(1);
    expect(config.usePolling).toBe(true);
    expect(config.settleMs).toBe(10);
    expect(config.policy.allowShell).toBe(true);
  });

  it('a policy override merges with the file, key by key', async () => {
    const config = await load('allow_shell: true', { policy: { allowBypassPermissions: true, allowShell: false, allowWorkspaceOutsideVault: false } });
    expect(config.policy).toEqual({ allowBypassPermissions: true, allowShell: false, allowWorkspaceOutsideVault: false });
  });

  it('never changes the shared defaults', async () => {
    await load('allow_shell: true\nconcurrency: 9');
    expect(DEFAULT_CONFIG.policy.allowShell).toBe(false);
    expect(DEFAULT_CONFIG.concurrency).toBe(2);
  });
});

describe('defaultConfigPath', () => {
  it('SCRIPTORIUM_CONFIG wins', () => {
    expect(defaultConfigPath({ SCRIPTORIUM_CONFIG: '/etc/s.yaml', XDG_CONFIG_HOME: '/x' })).toBe('/etc/s.yaml');
  });

  it('then $XDG_CONFIG_HOME/scriptorium/config.yaml', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/x' })).toBe(path.join('/x', 'scriptorium', 'config.yaml'));
  });

  it('then ~/.config/scriptorium/config.yaml', () => {
    expect(defaultConfigPath({})).toBe(path.join(os.homedir(), '.config', 'scriptorium', 'config.yaml'));
  });
});
