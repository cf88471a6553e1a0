import { HALT_NOTE, haltReason } from '../daemon/halt-note.ts';
import { LOCK_FILE } from '../daemon/lock.ts';
import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { show, PERMISSION_MODES } from '../agents/definition.ts';
import type { OperatorPolicy } from '../agents/policy.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type DaemonConfig } from '../daemon/config.ts';
import { lockHolder } from '../daemon/lock.ts';
import { readStatus } from '../daemon/state-file.ts';
import { MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import { readInbound } from '../messages/inbound.ts';
import { MESSAGE_STATUSES, readStatus as readMessageStatus } from '../messages/status.ts';
import { scrubEnv } from '../runner/claude-args.ts';
import { classifyResult, firstLine, type ResultEvent } from '../runner/stream-parser.ts';
import { expandHome } from '../util/home.ts';
import { createRedactor, redactDeep } from '../util/redact.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import { scanVault, type ScannedNote } from '../vault/scan.ts';

/**
 * `scriptorium doctor`'s checks. Each returns a section of findings and prints nothing (cli/doctor.ts
 * renders them); the two side effects that reach outside the vault, running `claude` and reading the
 * environment, go through `DoctorSeams`.
 */

/** `fail` blocks work (exit 1); `warn` is worth a look; `info` is a detail line under the one before. */
export type Level = 'ok' | 'info' | 'warn' | 'fail' | 'skip';

export interface Finding {
  level: Level;
  message: string;
  /** Vault path of the note (or the file) the finding is about. */
  file?: string;
  field?: string;
}

export type SectionId = 'node' | 'config' | 'claude' | 'auth' | 'vault' | 'daemon';

export interface Section {
  id: SectionId;
  title: string;
  /** Said once under the title: what the check does when it is not free. */
  note?: string;
  findings: Finding[];
}

export interface DoctorReport {
  vault: string;
  configFile: string;
  /** Nothing blocks work: the exit code is 0. */
  ok: boolean;
  blocking: number;
  warnings: number;
  sections: Section[];
}

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started (ENOENT, EACCES, ...). */
  errorCode: string | undefined;
  timedOut: boolean;
}

export type RunProcess = (file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }) => Promise<ProcessOutcome>;

export interface DoctorSeams {
  env: NodeJS.ProcessEnv;
  nodeVersion: string;
  run: RunProcess;
}

export interface DoctorOptions {
  vault: string;
  configFile: string;
  /** `--claude`: wins over `claude_path`. */
  claudePath: string | undefined;
  offline: boolean;
}

export const MIN_NODE = '22.18';
export const VERSION_TIMEOUT_MS = 10_000;
export const AUTH_TIMEOUT_MS = 60_000;
export const AUTH_NOTE = 'sends one tiny request to the Anthropic API, costs a fraction of a cent; skip with --offline';
/** The one prompt the authentication check sends: no tools, one turn, nothing saved. */
export const AUTH_ARGS = ['-p', '--output-format', 'json', '--max-turns', '1', '--tools', '', '--no-session-persistence', '--', 'Reply with the word OK.'];
const INSTALL = 'Install Claude Code with "npm install -g @anthropic-ai/claude-code" and log in once by running "claude"';
const ERRORS_SHOWN = 5;

export async function runDoctor(options: DoctorOptions, seams: DoctorSeams = systemSeams()): Promise<DoctorReport> {
  const sections: Section[] = [checkNode(seams.nodeVersion)];
  const { section: config, config: daemonConfig, source } = checkConfig(options.configFile, options.claudePath);
  sections.push(config);
  const { section: claude, resolved } = await checkClaude(daemonConfig.claudePath, source, options.configFile, seams);
  sections.push(claude);
  sections.push(await checkAuth(resolved, options.offline, seams));
  const vault = await checkVault(options.vault, daemonConfig.policy);
  sections.push(vault.section);
  sections.push(vault.exists ? await checkDaemon(options.vault) : skipped('daemon', 'Daemon', 'skipped: there is no vault to look at'));
  // Claude Code's stderr and the notes' own errors are quoted: a key in them must not reach a pasted report.
  const shown = redactDeep(sections, createRedactor(seams.env));
  const all = shown.flatMap((s) => s.findings);
  const blocking = all.filter((f) => f.level === 'fail').length;
  return {
    vault: options.vault,
    configFile: options.configFile,
    ok: blocking === 0,
    blocking,
    warnings: all.filter((f) => f.level === 'warn').length,
    sections: shown,
  };
}

export function systemSeams(): DoctorSeams {
  return { env: process.env, nodeVersion: process.versions.node, run: runProcess };
}

// ---- 1. Node -------------------------------------------------------------------------------------

export function checkNode(version: string): Section {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor = 0, needMinor = 0] = MIN_NODE.split('.').map(Number);
  const recent = major > needMajor || (major === needMajor && minor >= needMinor);
  return {
    id: 'node',
    title: 'Node',
    findings: [
      recent
        ? { level: 'ok', message: `node ${version}` }
        : { level: 'warn', message: `node ${version}: Scriptorium needs ${MIN_NODE} or later (it runs its TypeScript directly); install a newer Node` },
    ],
  };
}

// ---- 2. Config -----------------------------------------------------------------------------------

/** Where the claude path in force came from, for a message that says what to fix. */
type ClaudeSource = '--claude' | 'claude_path' | 'default';

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
    line(`notify URLs: ${policy.allowedNotifyUrls?.length ? policy.allowedNotifyUrls.join(', ') : 'none (notify: is refused)'}`),
    line(`concurrency: ${config.concurrency} turn${config.concurrency === 1 ? '' : 's'} at once`),
    line(config.api ? `HTTP API: on, 127.0.0.1:${config.api.port === 0 ? '(any free port)' : config.api.port}, token set` : 'HTTP API: off (api_port and api_token turn it on)'),
    line(`dashboard: ${config.dashboard ? 'Dashboard.md kept at the vault root' : 'off'}`),
    line(`claude: ${config.claudePath}`),
  ];
}

// ---- 3. Claude Code ------------------------------------------------------------------------------

export async function checkClaude(
  claudePath: string,
  source: ClaudeSource,
  configFile: string,
  seams: DoctorSeams,
): Promise<{ section: Section; resolved: string | null }> {
  const section: Section = { id: 'claude', title: 'Claude Code', findings: [] };
  const resolved = await resolveExecutable(claudePath, seams.env);
  if (resolved === null) {
    const where = /[\\/]/.test(claudePath) ? `there is no program at ${claudePath}` : `"${claudePath}" is not on PATH`;
    const from = source === '--claude' ? ' (from --claude)' : source === 'claude_path' ? ` (claude_path in ${configFile})` : '';
    const fix = source === 'default' ? ', or set claude_path in the Scriptorium config to where it is' : source === '--claude' ? ', or fix --claude' : `, or fix claude_path in ${configFile}`;
    section.findings.push({ level: 'fail', message: `Claude Code was not found: ${where}${from}. ${INSTALL}${fix}.` });
    return { section, resolved: null };
  }
  const outcome = await seams.run(resolved, ['--version'], { env: scrubEnv(seams.env), cwd: os.tmpdir(), timeoutMs: VERSION_TIMEOUT_MS });
  if (outcome.timedOut) {
    section.findings.push({ level: 'fail', message: `${resolved} did not answer "--version" within ${VERSION_TIMEOUT_MS / 1000} s: is it Claude Code? ${INSTALL}.` });
  } else if (outcome.errorCode !== undefined || outcome.exitCode !== 0) {
    const why = outcome.errorCode ?? `exit code ${outcome.exitCode ?? outcome.signal}${outcome.stderr.trim() ? `: ${lastLine(outcome.stderr)}` : ''}`;
    section.findings.push({ level: 'fail', message: `${resolved} --version failed (${why}). ${INSTALL}.` });
  } else {
    section.findings.push({ level: 'ok', message: `claude ${firstLine(outcome.stdout) || '(no version printed)'} at ${resolved}` });
    return { section, resolved };
  }
  return { section, resolved: null };
}

/** A command name looked up on PATH the way the runner's `spawn` finds it (no shell), or a path; null when absent. */
export async function resolveExecutable(command: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const candidates = /[\\/]/.test(command)
    ? [path.resolve(expandHome(command))]
    : (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable: the next PATH entry may have it.
    }
  }
  return null;
}

// ---- 4. Authentication ---------------------------------------------------------------------------

const NOT_LOGGED_IN =
  'Claude Code is not logged in on this machine: run "claude" once in a terminal and log in, or give Scriptorium ANTHROPIC_API_KEY in its environment.';

export async function checkAuth(claude: string | null, offline: boolean, seams: DoctorSeams): Promise<Section> {
  const section: Section = { id: 'auth', title: 'Authentication', note: AUTH_NOTE, findings: [] };
  if (offline) {
    section.findings.push({ level: 'skip', message: 'skipped (--offline)' });
    return section;
  }
  if (claude === null) {
    section.findings.push({ level: 'skip', message: 'skipped: Claude Code could not be run (see above)' });
    return section;
  }
  // An empty folder as the working directory: no CLAUDE.md or project settings make the request bigger.
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-doctor-'));
  try {
    // One retry for a blip, not Claude Code's default of ten over minutes; the operator's own setting wins.
    const env = scrubEnv(seams.env);
    if (env.CLAUDE_CODE_MAX_RETRIES === undefined) env.CLAUDE_CODE_MAX_RETRIES = '1';
    const outcome = await seams.run(claude, AUTH_ARGS, { env, cwd, timeoutMs: AUTH_TIMEOUT_MS });
    section.findings.push(authFinding(outcome));
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
  return section;
}

/** What the test prompt's outcome means, in a sentence a person can act on. */
export function authFinding(outcome: ProcessOutcome): Finding {
  const fail = (message: string): Finding => ({ level: 'fail', message });
  if (outcome.timedOut) {
    return fail(`Claude Code did not answer a test prompt within ${AUTH_TIMEOUT_MS / 1000} s: the Anthropic API may be unreachable from here (check the network, a proxy such as HTTPS_PROXY, or ANTHROPIC_BASE_URL); run claude -p "hi" in a terminal to see what it does.`);
  }
  if (outcome.errorCode !== undefined) return fail(`Claude Code could not be started (${outcome.errorCode}).`);
  const result = parseResult(outcome.stdout);
  if (result) {
    const verdict = classifyResult(result, outcome.stderr);
    const text = firstLine(result.result || (result.errors ?? []).join('; ') || result.subtype);
    if (verdict.ok) {
      const cost = typeof result.total_cost_usd === 'number' ? ` (cost $${result.total_cost_usd.toFixed(4)})` : '';
      return { level: 'ok', message: `logged in: Claude Code answered a test prompt${cost}` };
    }
    if (verdict.errorKind === 'not_logged_in') return fail(NOT_LOGGED_IN);
    if (verdict.errorKind === 'auth') {
      return fail(`the Anthropic API refused Claude Code's credentials (${text}): check the ANTHROPIC_API_KEY Scriptorium runs with, or run "claude" in a terminal and log in again (/login).`);
    }
    if (/connection|ECONN|ENOTFOUND|EAI_AGAIN|getaddrinfo|fetch failed|timed out|ETIMEDOUT|socket/i.test(text)) {
      return fail(`Claude Code could not reach the Anthropic API (${text}): check the network, a proxy (HTTPS_PROXY) or ANTHROPIC_BASE_URL.`);
    }
    if (verdict.transient) {
      return { level: 'warn', message: `the Anthropic API is busy right now (${text}), so the login could not be confirmed; run "scriptorium doctor" again in a minute.` };
    }
    return fail(`Claude Code reported an error on a test prompt: ${text}`);
  }
  if (/^Not logged in/im.test(outcome.stderr)) return fail(NOT_LOGGED_IN);
  if (/unknown option|error: option/i.test(outcome.stderr)) {
    return fail(`this Claude Code does not accept the options Scriptorium uses (${firstLine(outcome.stderr)}): update it with "npm install -g @anthropic-ai/claude-code".`);
  }
  const detail = outcome.stderr.trim() ? `: ${lastLine(outcome.stderr)}` : '';
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
  return fail(`Claude Code ${how} without answering a test prompt${detail}.`);
}

/** `--output-format json` prints one result object; anything before it (a warning) is skipped. */
function parseResult(stdout: string): ResultEvent | null {
  const lines = stdout.trim().split('\n').reverse();
  for (const candidate of [stdout.trim(), ...lines]) {
    try {
      const value = JSON.parse(candidate) as unknown;
      if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'result') return value as ResultEvent;
    } catch {
      // Not JSON: try the next line.
    }
  }
  return null;
}

function lastLine(text: string): string {
  return firstLine(text.trim().split('\n').at(-1) ?? text);
}

/** Spawn without a shell, in its own process group, stdin closed (an open stdin costs Claude Code 3 s). */
export const runProcess: RunProcess = (file, args, options) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let errorCode: string | undefined;
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const done = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      resolve({ exitCode, signal, stdout, stderr, errorCode, timedOut });
    };
    let child;
    try {
      child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true, windowsHide: true });
    } catch (error) {
      errorCode = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      done(null, null);
      return;
    }
    const pid = child.pid;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (pid) process.kill(-pid, signal);
      } catch {
        // Already gone.
      }
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(setTimeout(() => killGroup('SIGKILL'), 2_000));
      }, options.timeoutMs),
    );
    // Output is kept to a size a person could read; a result object is a few KB.
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(0, 1_000_000)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8_192)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      errorCode = error.code ?? error.message;
      if (!pid) done(null, null);
    });
    child.on('close', (exitCode, signal) => done(exitCode, signal));
  });

// ---- 5. Vault ------------------------------------------------------------------------------------

export async function checkVault(root: string, policy: OperatorPolicy): Promise<{ section: Section; exists: boolean }> {
  const section: Section = { id: 'vault', title: 'Vault', findings: [] };
  const folder = await stat(root).then((s) => s.isDirectory(), () => false);
  if (!folder) {
    section.findings.push({ level: 'fail', message: `${root} is not a folder. Create a vault with "scriptorium init ${root}", or name the vault: scriptorium doctor <vault>.` });
    return { section, exists: false };
  }
  const scan = await scanVault(root, policy);
  const findings = section.findings;
  findings.push({ level: 'ok', message: `${root}: ${summary(scan.notes)}` });
  const valid = scan.registry.definitions().map((d) => d.name);
  if (scan.registry.names().length === 0) {
    findings.push({ level: 'warn', message: 'no agent definitions: add a note tagged agent/definition (in Agents/; "scriptorium init" writes an example)' });
  } else {
    findings.push({ level: 'info', message: `agents ready to run: ${valid.join(', ') || 'none'}` });
  }
  for (const [file, problems] of scan.definitionProblems) {
    for (const problem of problems) findings.push({ level: 'fail', file, field: problem.field, message: problem.message });
  }
  for (const note of scan.unreadable) {
    findings.push({ level: 'warn', file: note.path, message: `frontmatter cannot be read, so Scriptorium ignores this note: ${firstLine(note.reason).replace(/:$/, '')}` });
  }
  const errored: ScannedNote[] = [];
  for (const note of scan.notes.filter((n) => n.role === 'inbound')) {
    const finding = lintInbound(note, scan.registry);
    if (finding === 'error') errored.push(note);
    else if (finding) findings.push({ file: note.path, ...finding });
  }
  if (errored.length > 0) {
    findings.push({ level: 'warn', message: `${errored.length} message${errored.length === 1 ? '' : 's'} ended in error (set status back to ready to run one again):` });
    for (const note of errored.slice(0, ERRORS_SHOWN)) {
      findings.push({ level: 'info', file: note.path, field: 'error', message: typeof note.data.error === 'string' ? firstLine(note.data.error).slice(0, 160) : '(no reason written)' });
    }
    if (errored.length > ERRORS_SHOWN) findings.push({ level: 'info', message: `… and ${errored.length - ERRORS_SHOWN} more` });
  }
  return { section, exists: true };
}

const ROLE_WORDS: Record<string, [string, string]> = {
  definition: ['agent definition', 'agent definitions'],
  inbound: ['message', 'messages'],
  outbound: ['reply', 'replies'],
  thread: ['thread', 'threads'],
  dashboard: ['dashboard', 'dashboards'],
};

/** "3 agent definitions, 12 messages (done 9, error 1, ready 2), 9 replies, 2 threads" */
function summary(notes: ScannedNote[]): string {
  if (notes.length === 0) return 'no Scriptorium notes yet';
  const parts: string[] = [];
  for (const [role, [one, many]] of Object.entries(ROLE_WORDS)) {
    const ofRole = notes.filter((n) => n.role === role);
    if (ofRole.length === 0) continue;
    let part = `${ofRole.length} ${ofRole.length === 1 ? one : many}`;
    if (role === 'inbound') {
      const counts = new Map<string, number>();
      for (const n of ofRole) {
        const status = readMessageStatus(n.data.status) ?? 'invalid';
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
      part += ` (${[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s} ${n}`).join(', ')})`;
    }
    parts.push(part);
  }
  return parts.join(', ');
}

/**
 * What would happen to a message the daemon would take in (`ready`/`queued`): a `fail` when it cannot
 * run (the same rules as the daemon's intake), `warn` when it waits; 'error' for one that ended in error.
 */
function lintInbound(note: ScannedNote, registry: AgentRegistry): Omit<Finding, 'file'> | 'error' | null {
  const reading = readInbound(note.path, note.data, note.body);
  if (!reading.ok) {
    if (reading.status === null) {
      return { level: 'warn', field: 'status', message: `${show(note.data.status)} is not one of ${MESSAGE_STATUSES.join(', ')}, so the message is left alone` };
    }
    if (reading.status !== 'ready' && reading.status !== 'queued') return reading.status === 'error' ? 'error' : null;
    return { level: 'fail', field: reading.field, message: reading.error.replace(new RegExp(`^${reading.field}:\\s*`), '') };
  }
  const message = reading.message;
  if (message.status === 'error') return 'error';
  if (message.status !== 'ready' && message.status !== 'queued') return null;
  if (message.body === '') return { level: 'warn', message: `${message.status}, but it has no text yet: it runs once its body has some` };
  const lookup = registry.lookup(message.to);
  if (lookup.kind === 'unknown') {
    const known = registry.names();
    return { level: 'fail', field: 'to', message: `no agent named "${message.to}" ${known.length ? `(agents: ${known.join(', ')})` : '(no agent definitions found in the vault)'}` };
  }
  if (lookup.kind === 'invalid') {
    return { level: 'fail', field: 'to', message: `the agent "${message.to}" has an invalid definition (${lookup.path}, listed above)` };
  }
  if (message.delegationDepth > MAX_DELEGATION_DEPTH) {
    return { level: 'fail', field: 'delegation_depth', message: `${message.delegationDepth} is past the limit of ${MAX_DELEGATION_DEPTH}` };
  }
  if (message.replyTo && registry.lookup(message.replyTo.toLowerCase()).kind === 'unknown') {
    return { level: 'fail', field: 'reply_to', message: `no agent named "${message.replyTo}" to call back (agents: ${registry.names().join(', ')})` };
  }
  const sender = message.callback ? null : registry.lookup(message.from.toLowerCase());
  if (sender?.kind === 'ok' && !mayAddress(sender.definition, message.to)) {
    return { level: 'fail', field: 'from', message: `${sender.definition.name} may not message ${message.to}: its can_message allows ${sender.definition.canMessage!.join(', ') || 'no agent'}` };
  }
  if (!lookup.definition.enabled) return { level: 'warn', message: `waits: the agent "${message.to}" is disabled (enabled: false)` };
  return null;
}

// ---- 6. Lock and daemon --------------------------------------------------------------------------

export async function checkDaemon(root: string): Promise<Section> {
  const findings: Finding[] = [];
  const section: Section = { id: 'daemon', title: 'Daemon', findings };
  const recorded = await readFile(path.join(root, LOCK_FILE), 'utf8').then((text) => text.trim(), () => null);
  const holder = await lockHolder(root);
  if (holder !== null) {
    findings.push({ level: 'ok', message: `daemon running (pid ${holder})` });
    const status = await readStatus(root);
    if (status === null || status.pid !== holder) {
      findings.push({ level: 'info', message: 'no status from it yet (.scriptorium/status.json)' });
    } else {
      findings.push({ level: 'info', message: `since ${status.startedAt}, last update ${status.updatedAt}` });
      const working = status.agents.filter((a) => a.state === 'working').map((a) => a.name);
      const queued = status.agents.filter((a) => a.queued > 0).map((a) => `${a.name} (${a.queued})`);
      findings.push({ level: 'info', message: `working: ${working.join(', ') || 'none'}; queued: ${queued.join(', ') || 'none'}` });
      for (const agent of status.agents.filter((a) => a.hold)) findings.push({ level: 'info', message: `${agent.name} waits: ${agent.hold}` });
    }
  } else if (recorded === null) {
    findings.push({ level: 'ok', message: 'not running' });
  } else if (/^\d+$/.test(recorded)) {
    findings.push({ level: 'warn', file: LOCK_FILE, message: `stale lock from pid ${recorded} (a crash); "scriptorium start" will take it over` });
  } else {
    findings.push({ level: 'warn', file: LOCK_FILE, message: 'the lock file holds no pid; "scriptorium start" will take it over' });
  }
  const halt = await readFile(path.join(root, HALT_NOTE), 'utf8').then((raw) => raw, () => null);
  if (halt !== null || existsSync(path.join(root, HALT_NOTE))) {
    findings.push({ level: 'warn', file: HALT_NOTE, message: `halted: ${haltReason(halt ?? '').replace(/\.+$/, '')}. Nothing new runs until "scriptorium resume"` });
  }
  return section;
}

function skipped(id: SectionId, title: string, message: string): Section {
  return { id, title, findings: [{ level: 'skip', message }] };
}
