import { constants } from 'node:fs';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scrubEnv } from '../runner/claude-args.ts';
import { classifyResult, firstLine, type ResultEvent } from '../runner/stream-parser.ts';
import { expandHome } from '../util/home.ts';
import type { ClaudeSource } from './config-check.ts';
import type { Finding, Section } from './findings.ts';
import type { DoctorSeams, ProcessOutcome } from './seams.ts';

/** Claude Code: that the executable in force runs (`--version`), then that it is logged in (one test prompt). */

export const VERSION_TIMEOUT_MS = 10_000;
export const AUTH_TIMEOUT_MS = 60_000;
export const AUTH_NOTE = 'sends one tiny request to the Anthropic API, costs a fraction of a cent; skip with --offline';
/** The one prompt the authentication check sends: no tools, one turn, nothing saved. */
export const AUTH_ARGS = ['-p', '--output-format', 'json', '--max-turns', '1', '--tools', '', '--no-session-persistence', '--', 'Reply with the word OK.'];
const INSTALL = 'Install Claude Code with "npm install -g @anthropic-ai/claude-code" and log in once by running "claude"';

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

// ---- Authentication ------------------------------------------------------------------------------

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
