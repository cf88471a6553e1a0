import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { err, UsageError } from './output.ts';

export const HOOK_HELP = `scriptorium hook --record FILE

Claude Code's PreToolUse hook for a turn's Write, Edit, MultiEdit and NotebookEdit calls: reads the
call from stdin and records the path it writes in FILE before the tool runs, so the daemon knows which
agent wrote a note. The daemon passes it to each turn through --settings; you do not run it by hand.`;

/** Exit code 2 blocks the tool call, and Claude Code shows the model what was written to stderr. */
const BLOCK = 2;

/** What Claude Code sends a PreToolUse hook on stdin (only the fields read here). */
interface HookInput {
  cwd?: unknown;
  tool_input?: { file_path?: unknown; notebook_path?: unknown };
}

export async function hookCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { record: { type: 'string' } } });
  if (!values.record) throw new UsageError('--record FILE is required');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  let input: HookInput;
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as HookInput;
  } catch {
    err('Scriptorium could not read this tool call, so it was not run.');
    return BLOCK;
  }
  const file = input.tool_input?.file_path ?? input.tool_input?.notebook_path;
  if (typeof file !== 'string') return 0;
  try {
    // One short line in one append: parallel tool calls of the same turn never interleave their lines.
    // Never a new file: a record the daemon read back and removed at its start (a turn a crash left
    // running on, unwatched) would be made again without its header, and read by no one.
    const fd = openSync(values.record, constants.O_WRONLY | constants.O_APPEND);
    try {
      writeSync(fd, `${JSON.stringify({ file, cwd: typeof input.cwd === 'string' ? input.cwd : process.cwd() })}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // Fail closed: a write Scriptorium cannot attribute could pass for someone else's message.
    err(`Scriptorium could not record this write (${(error as Error).message}), so it was not made.`);
    return BLOCK;
  }
  return 0;
}
