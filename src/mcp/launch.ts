import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DelegateContext } from './delegate-server.ts';
import { MCP_SERVER_NAME } from './names.ts';

/**
 * The one `--mcp-config` JSON of a turn: `scriptorium mcp` (when the turn delegates) beside the operator's
 * servers the agent chose. Scriptorium's entry is this package's own CLI (run.js when built, run.ts from
 * source on Node 22's type stripping), started by the same Node that runs the daemon. Undefined when the
 * turn gets no server at all.
 */
export function turnMcpConfig(vault: string, context: DelegateContext | undefined, chosen: Record<string, Record<string, unknown>>, toolTimeoutMs?: number): string | undefined {
  const servers: Record<string, unknown> = { ...chosen };
  if (context) {
    const here = fileURLToPath(import.meta.url);
    const entry = path.join(path.dirname(here), '..', 'cli', `run${path.extname(here)}`);
    servers[MCP_SERVER_NAME] = {
      type: 'stdio',
      command: process.execPath,
      args: [entry, 'mcp', '--vault', vault, '--context', JSON.stringify(context)],
      // A permission call lasts until a person decides: Claude Code must not give up on it first (its own
      // limit per MCP call is about 28 hours; a timer holds at most 2^31-1 ms).
      ...(toolTimeoutMs ? { timeout: Math.min(toolTimeoutMs, 2 ** 31 - 1) } : {}),
    };
  }
  return Object.keys(servers).length > 0 ? JSON.stringify({ mcpServers: servers }) : undefined;
}
