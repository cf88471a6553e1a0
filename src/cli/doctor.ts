import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfigPath } from '../config/operator-config.ts';
import { AUTH_NOTE, runDoctor, type DoctorReport, type Finding, type Level } from '../doctor/checks.ts';
import { out } from './output.ts';

export const DOCTOR_HELP = `scriptorium doctor [vault] [options]

Check that everything Scriptorium needs is in place: Node, the operator config and the policy in force,
Claude Code and its login, every Scriptorium note in the vault, and the daemon's lock.
Exits 1 when something blocks work (marked FAIL), 0 otherwise (warnings alone do not count).

The login check ${AUTH_NOTE}.

The vault is the argument (or --vault DIR), else $SCRIPTORIUM_VAULT, else the current folder.

Options:
  --config FILE   operator config (default ${defaultConfigPath()})
  --claude PATH   the claude executable (default: claude_path from the config, else claude on PATH)
  --offline       skip the login check (no request is sent)
  --json          the findings as JSON`;

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      claude: { type: 'string' },
      offline: { type: 'boolean' },
      json: { type: 'boolean' },
      vault: { type: 'string' },
    },
  });
  // Not resolveVault: a missing vault is one of the findings, not a usage error.
  const vault = path.resolve(positionals[0] ?? values.vault ?? process.env.SCRIPTORIUM_VAULT ?? process.cwd());
  const report = await runDoctor({
    vault,
    configFile: values.config ?? defaultConfigPath(),
    claudePath: values.claude,
    offline: values.offline ?? false,
  });
  out(values.json ? JSON.stringify(report, null, 2) : render(report, process.stdout.isTTY === true));
  return report.ok ? 0 : 1;
}

const MARKS: Record<'tty' | 'plain', Record<Level, string>> = {
  tty: { ok: '✓', warn: '!', fail: '✗', skip: '-', info: ' ' },
  plain: { ok: 'ok', warn: 'warn', fail: 'FAIL', skip: 'skip', info: '' },
};

/** Sections with one marked line per finding; detail (`info`) lines sit under the line they belong to. */
export function render(report: DoctorReport, tty: boolean): string {
  const marks = MARKS[tty ? 'tty' : 'plain'];
  const width = Math.max(...Object.values(marks).map((m) => m.length));
  const lines = [`Scriptorium doctor: ${report.vault}`];
  for (const section of report.sections) {
    lines.push('', section.note ? `${section.title} (${section.note})` : section.title);
    for (const finding of section.findings) lines.push(`  ${marks[finding.level].padEnd(width)}  ${describe(finding)}`);
  }
  const warnings = report.warnings ? `, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}` : '';
  lines.push(
    '',
    report.ok
      ? `Nothing blocks work${warnings}.`
      : `${report.blocking} problem${report.blocking === 1 ? ' blocks' : 's block'} work (${marks.fail} above)${warnings}.`,
  );
  return lines.join('\n');
}

/** `Agents/x.md  max_turns: expected …`: the file first, so a person can open it. */
function describe(finding: Finding): string {
  const what = finding.field ? `${finding.field}: ${finding.message}` : finding.message;
  return finding.file ? `${finding.file}  ${what}` : what;
}
