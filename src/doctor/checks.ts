import { createRedactor, redactDeep } from '../util/redact.ts';
import { addConfigSecrets } from '../config/config-secrets.ts';
import { checkAuth, checkClaude } from './claude-check.ts';
import { checkConfig } from './config-check.ts';
import { describeMcpAndSecrets } from './mcp-check.ts';
import { checkDaemon } from './daemon-state.ts';
import { skipped, type DoctorReport, type Section } from './findings.ts';
import { checkNode } from './node-check.ts';
import { systemSeams, type DoctorSeams } from './seams.ts';
import { checkSpending } from './spending-check.ts';
import { checkVault } from './vault-lint.ts';

/**
 * `scriptorium doctor`'s checks. Each returns a section of findings and prints nothing (cli/doctor.ts
 * renders them); the two side effects that reach outside the vault, running `claude` and reading the
 * environment, go through `DoctorSeams`.
 */

export interface DoctorOptions {
  vault: string;
  configFile: string;
  /** `--claude`: wins over `claude_path`. */
  claudePath: string | undefined;
  offline: boolean;
}

export async function runDoctor(options: DoctorOptions, seams: DoctorSeams = systemSeams()): Promise<DoctorReport> {
  const sections: Section[] = [checkNode(seams.nodeVersion)];
  const { section: config, config: daemonConfig, source } = checkConfig(options.configFile, options.claudePath);
  // Secrets are looked for as `start` would: in the file, then in this environment; the vault bounds the file.
  config.findings.push(...describeMcpAndSecrets(daemonConfig, seams.env, options.vault));
  sections.push(config);
  const { section: claude, resolved } = await checkClaude(daemonConfig.claudePath, source, options.configFile, seams);
  sections.push(claude);
  sections.push(await checkAuth(resolved, options.offline, seams));
  const vault = await checkVault(options.vault, daemonConfig.policy, daemonConfig.maxMessageBytes);
  sections.push(vault.section);
  if (vault.exists) {
    const daemon = await checkDaemon(options.vault);
    // Beside the halt note: a reached cap stops every turn as HALT.md does.
    daemon.findings.push(...(await checkSpending(options.vault, daemonConfig, options.configFile, new Date())));
    sections.push(daemon);
  } else {
    sections.push(skipped('daemon', 'Daemon', 'skipped: there is no vault to look at'));
  }
  // Claude Code's stderr and the notes' own errors are quoted: a key in them must not reach a pasted report.
  const redact = createRedactor(seams.env);
  addConfigSecrets(redact, daemonConfig);
  const shown = redactDeep(sections, redact);
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

// Every name the checks export stays importable from here: cli/doctor.ts and the tests use this one module.
export type { DoctorReport, Finding, Level, Section, SectionId } from './findings.ts';
export type { DoctorSeams, ProcessOutcome, RunProcess } from './seams.ts';
export { runProcess, systemSeams } from './seams.ts';
export { checkNode, MIN_NODE } from './node-check.ts';
export { checkConfig, describePolicy } from './config-check.ts';
export { AUTH_ARGS, AUTH_NOTE, AUTH_TIMEOUT_MS, VERSION_TIMEOUT_MS, authFinding, checkAuth, checkClaude, resolveExecutable } from './claude-check.ts';
export { checkVault } from './vault-lint.ts';
export { checkDaemon } from './daemon-state.ts';
export { checkSpending } from './spending-check.ts';
