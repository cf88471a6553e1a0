import { readFileSync } from 'node:fs';
import { err, out, UsageError } from './output.ts';

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

interface Command {
  run: (argv: string[]) => Promise<number>;
  help: string;
}

/** Loaded on use: `scriptorium status` need not load the MCP SDK, nor `start` the HTTP client of `tail`. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => ((m) => ({ run: m.initCommand, help: m.INIT_HELP }))(await import('./init.ts')),
  start: async () => ((m) => ({ run: m.startCommand, help: m.START_HELP }))(await import('./start.ts')),
  send: async () => ((m) => ({ run: m.sendCommand, help: m.SEND_HELP }))(await import('./send.ts')),
  status: async () => ((m) => ({ run: m.statusCommand, help: m.STATUS_HELP }))(await import('./status.ts')),
  fire: async () => ((m) => ({ run: m.fireCommand, help: m.FIRE_HELP }))(await import('./fire.ts')),
  halt: async () => ((m) => ({ run: m.haltCommand, help: m.HALT_HELP }))(await import('./halt.ts')),
  resume: async () => ((m) => ({ run: m.resumeCommand, help: m.RESUME_HELP }))(await import('./halt.ts')),
  mcp: async () => ((m) => ({ run: m.mcpCommand, help: m.MCP_HELP }))(await import('./mcp.ts')),
  doctor: async () => ((m) => ({ run: m.doctorCommand, help: m.DOCTOR_HELP }))(await import('./doctor.ts')),
  explain: async () => ((m) => ({ run: m.explainCommand, help: m.EXPLAIN_HELP }))(await import('./explain.ts')),
  logs: async () => ((m) => ({ run: m.logsCommand, help: m.LOGS_HELP }))(await import('./logs.ts')),
  tail: async () => ((m) => ({ run: m.tailCommand, help: m.TAIL_HELP }))(await import('./tail.ts')),
  reset: async () => ((m) => ({ run: m.resetCommand, help: m.RESET_HELP }))(await import('./reset.ts')),
  service: async () => ((m) => ({ run: m.serviceCommand, help: m.SERVICE_HELP }))(await import('./service.ts')),
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
  const load = COMMANDS[name];
  if (!load) {
    err(`scriptorium: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  const command = await load();
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
