import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DelegateContext } from './delegate-server.ts';
import { MCP_SERVER_NAME } from './names.ts';

/**
 * The `--mcp-config` JSON that makes Claude Code start `scriptorium mcp` for one turn. The entry is this
 * package's own CLI (run.js when built, run.ts from source on Node 22's type stripping), started by the
 * same Node that runs the daemon.
 */
export function delegateMcpConfig(vault: string, context: DelegateContext): string {
  const here = fileURLToPath(import.meta.url);
  const entry = path.join(path.dirname(here), '..', 'cli', `run${path.extname(here)}`);
  return JSON.stringify({
    mcpServers: {
      [MCP_SERVER_NAME]: {
        type: 'stdio',
        command: process.execPath,
        args: [entry, 'mcp', '--vault', vault, '--context', JSON.stringify(context)],
      },
    },
  });
}
