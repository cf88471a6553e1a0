// Claude Code's PreToolUse hook for a turn's Write, Edit, MultiEdit and NotebookEdit calls: reads the call
// from stdin and records the path it writes in the file named by `--record`, before the tool runs, so the
// daemon knows which agent wrote a note (turns/turn-writes.ts). The daemon passes it to each turn through
// `--settings`; nobody runs it by hand.
//
// A process entry of its own, importing nothing but node:fs: it starts once per write, and the full CLI
// would cost three times Node's own start-up (bench/write-hook.ts).
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';

/** Exit code 2 blocks the tool call, and Claude Code shows the model what was written to stderr. */
const BLOCK = 2;

/** What Claude Code sends a PreToolUse hook on stdin (only the fields read here). */
interface HookInput {
  cwd?: unknown;
  tool_input?: { file_path?: unknown; notebook_path?: unknown };
}

function recordWrite(argv: string[], stdin: string): { code: number; say?: string } {
  const at = argv.indexOf('--record');
  const record = at >= 0 ? argv[at + 1] : undefined;
  if (!record) return { code: BLOCK, say: 'Scriptorium could not record this write (no record file named), so it was not made.' };
  let input: HookInput;
  try {
    input = JSON.parse(stdin) as HookInput;
  } catch {
    return { code: BLOCK, say: 'Scriptorium could not read this tool call, so it was not run.' };
  }
  const file = input.tool_input?.file_path ?? input.tool_input?.notebook_path;
  if (typeof file !== 'string') return { code: 0 };
  try {
    // One short line in one append: parallel tool calls of the same turn never interleave their lines.
    // Never a new file: a record the daemon read back and removed at its start (a turn a crash left
    // running on, unwatched) would be made again without its header, and read by no one.
    const fd = openSync(record, constants.O_WRONLY | constants.O_APPEND);
    try {
      writeSync(fd, `${JSON.stringify({ file, cwd: typeof input.cwd === 'string' ? input.cwd : process.cwd() })}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // Fail closed: a write Scriptorium cannot attribute could pass for someone else's message.
    return { code: BLOCK, say: `Scriptorium could not record this write (${(error as Error).message}), so it was not made.` };
  }
  return { code: 0 };
}

let stdin = '';
try {
  stdin = readFileSync(0, 'utf8');
} catch {
  // no stdin: reported as an unreadable call below
}
const outcome = recordWrite(process.argv.slice(2), stdin);
if (outcome.say) process.stderr.write(`${outcome.say}\n`);
process.exitCode = outcome.code;
