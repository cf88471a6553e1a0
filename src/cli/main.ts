import { readFileSync } from 'node:fs';
import { initCommand, INIT_HELP } from './init.ts';
import { mcpCommand, MCP_HELP } from './mcp.ts';
import { fireCommand, FIRE_HELP } from './fire.ts';
import { haltCommand, HALT_HELP, resumeCommand, RESUME_HELP } from './halt.ts';
import { err, out, UsageError } from './output.ts';
import { sendCommand, SEND_HELP } from './send.ts';
import { startCommand, START_HELP } from './start.ts';
import { statusCommand, STATUS_HELP } from './status.ts';
import { serviceCommand, SERVICE_HELP } from './service.ts';
import { tailCommand, TAIL_HELP } from './tail.ts';
import { resetCommand, RESET_HELP } from './reset.ts';
import { doctorCommand, DOCTOR_HELP } from './doctor.ts';
import { explainCommand, EXPLAIN_HELP } from './explain.ts';
import { logsCommand, LOGS_HELP } from './logs.ts';

const HELP = `scriptorium — run Claude agents from a folder of notes

Usage:
  scriptorium init [dir]                      create a vault, or add Scriptorium to one
  scriptorium start [vault]                   watch the vault and run agents
  scriptorium send <agent> <message> [--wait] write a message note (and wait for the reply)
  scriptorium status [vault] [--json]         agents, queues, schedules and recent turns
  scriptorium fire <agent>                    run an agent's scheduled task now
  scriptorium halt ["reason"] / resume        stop every new turn and fire / go on
  scriptorium doctor [vault]                  check Claude Code, its login, the config and every note
  scriptorium explain <note> [--json]         why a note did or did not run
  scriptorium logs [vault] [-f] [-n N]        the daemon's log (--level, --agent, --since, --json)
  scriptorium tail [vault]                    follow turns as they happen (tools, replies, cost)
  scriptorium reset <agent>                   start a fresh Claude session at the agent's next turn
  scriptorium service install [vault]         run start as a login service (systemd / launchd)

Run "scriptorium <command> --help" for a command's options.`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  init: { run: initCommand, help: INIT_HELP },
  start: { run: startCommand, help: START_HELP },
  send: { run: sendCommand, help: SEND_HELP },
  status: { run: statusCommand, help: STATUS_HELP },
  fire: { run: fireCommand, help: FIRE_HELP },
  halt: { run: haltCommand, help: HALT_HELP },
  resume: { run: resumeCommand, help: RESUME_HELP },
  mcp: { run: mcpCommand, help: MCP_HELP },
  doctor: { run: doctorCommand, help: DOCTOR_HELP },
  explain: { run: explainCommand, help: EXPLAIN_HELP },
  logs: { run: logsCommand, help: LOGS_HELP },
  tail: { run: tailCommand, help: TAIL_HELP },
  reset: { run: resetCommand, help: RESET_HELP },
  service: { run: serviceCommand, help: SERVICE_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(HELP);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    out(pkg.version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`scriptorium: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`scriptorium ${name}: ${(error as Error).message}\n\n${command.help}`);
      return 2;
    }
    err(`scriptorium ${name}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
