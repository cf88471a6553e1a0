import { existsSync } from 'node:fs';
import { PERMISSION_MODES } from '../agents/definition.ts';
import { DEFAULT_SETTING_SOURCES, type OperatorPolicy, type SettingSource } from '../agents/policy.ts';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type DaemonConfig } from '../config/operator-config.ts';
import { usd } from '../state/ledger.ts';
import { showBytes } from '../vault/note-size.ts';
import type { Finding, Section } from './findings.ts';

/** Where the claude path in force came from, for a message that says what to fix. */
export type ClaudeSource = '--claude' | 'claude_path' | 'default';

export function checkConfig(file: string, claudeFlag: string | undefined): { section: Section; config: DaemonConfig; source: ClaudeSource } {
  const findings: Finding[] = [];
  const overrides = claudeFlag ? { claudePath: claudeFlag } : {};
  let config: DaemonConfig;
  let fromFile = false;
  try {
    config = loadConfig(file, overrides);
    fromFile = config.claudePath !== DEFAULT_CONFIG.claudePath && !claudeFlag;
    findings.push({ level: 'ok', file, message: existsSync(file) ? 'found and read' : 'not found, so the defaults are in force' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Linting goes on with the defaults, so one run shows every problem; start refuses until it is fixed.
    config = { ...DEFAULT_CONFIG, ...overrides };
    findings.push({ level: 'fail', file, message: `${error.message.replace(`${file}: `, '')}. "scriptorium start" refuses to run until it is fixed; the checks below use the defaults` });
  }
  findings.push(...describePolicy(config));
  findings.push({ level: 'info', message: 'flags given to "scriptorium start" (--claude, --concurrency, --allow-shell, --allow-bypass-permissions, --allow-workspace) override these' });
  return { section: { id: 'config', title: 'Config', findings }, config, source: claudeFlag ? '--claude' : fromFile ? 'claude_path' : 'default' };
}

/** The operator policy in force, one line per switch, as a person reads it. */
export function describePolicy(config: DaemonConfig): Finding[] {
  const policy: OperatorPolicy = config.policy;
  const modes = (policy.allowedPermissionModes ?? [...PERMISSION_MODES]).filter((m) => m !== 'bypassPermissions' || policy.allowBypassPermissions);
  const line = (message: string): Finding => ({ level: 'info', message });
  const workspaces = policy.allowWorkspaceOutsideVault
    ? 'anywhere (allow_workspace_outside_vault: true)'
    : `inside the vault${policy.allowedWorkspaces?.length ? `, and under ${policy.allowedWorkspaces.join(', ')}` : ' only'}`;
  return [
    line(`permission modes: ${modes.join(', ') || 'none'}`),
    line(`tools: ${policy.allowedTools ? `only ${policy.allowedTools.join(', ') || 'none'}` : policy.allowShell ? 'any tool' : 'any tool but a shell'}`),
    line(`shell (allow_shell): ${policy.allowShell ? 'allowed' : 'refused'}`),
    line(`bypassPermissions (allow_bypass_permissions): ${policy.allowBypassPermissions ? 'allowed' : 'refused'}`),
    line(`workspaces: ${workspaces}`),
    line(`Claude Code settings loaded by turns (setting_sources): ${describeSources(policy.settingSources ?? DEFAULT_SETTING_SOURCES)}`),
    line(`notify URLs: ${policy.allowedNotifyUrls?.length ? policy.allowedNotifyUrls.join(', ') : 'none (notify: is refused)'}`),
    line(`concurrency: ${config.concurrency} turn${config.concurrency === 1 ? '' : 's'} at once`),
    line(`vault spending caps, all agents together: ${describeCaps(config)}`),
    line(`message size limit (max_message_bytes): ${showBytes(config.maxMessageBytes)}; a larger message or definition is refused unread`),
    line(config.api ? `HTTP API: on, 127.0.0.1:${config.api.port === 0 ? '(any free port)' : config.api.port}, token set` : 'HTTP API: off (api_port and api_token turn it on)'),
    line(`dashboard: ${config.dashboard ? 'Dashboard.md kept at the vault root' : 'off'}`),
    line(
      config.approvals
        ? `approvals: a tool call that needs permission waits for your decision in an Approvals/ note, at most ${Math.round(config.approvalTimeoutMs / 60_000)} minutes (approval_timeout)`
        : 'approvals: off; a tool call that needs permission is denied (approvals: false)',
    ),
    line(`claude: ${config.claudePath}`),
  ];
}

function describeCaps(config: DaemonConfig): string {
  const caps = [
    config.dailyBudgetUsd === undefined ? undefined : `${usd(config.dailyBudgetUsd)} a day (daily_budget_usd)`,
    config.monthlyBudgetUsd === undefined ? undefined : `${usd(config.monthlyBudgetUsd)} a month (monthly_budget_usd)`,
  ].filter((cap) => cap !== undefined);
  return caps.length > 0 ? `${caps.join(', ')}; past one, no turn starts until the day or month is over` : 'none (daily_budget_usd and monthly_budget_usd set them)';
}

function describeSources(sources: SettingSource[]): string {
  if (sources.length === 0) return 'none';
  const inVault = sources.filter((source) => source !== 'user');
  return `${sources.join(', ')}${inVault.length > 0 ? ` (${inVault.join(' and ')}: the working folder's .claude/, .mcp.json and CLAUDE.md load, hooks included)` : ''}`;
}
