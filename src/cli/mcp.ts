import { parseArgs } from 'node:util';
import { createDelegateServer, type DelegateContext } from '../mcp/delegate-server.ts';
import { StdioTransport } from '../mcp/stdio-transport.ts';
import { systemClock } from '../util/clock.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { UsageError } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const MCP_HELP = `scriptorium mcp --vault DIR --context JSON

Serve the delegate, delegate_all and list_agents tools over stdio (MCP). The daemon starts this for
each turn through Claude Code's --mcp-config; you do not run it by hand.`;

export async function mcpCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { vault: { type: 'string' }, context: { type: 'string' } } });
  const vault = resolveVault(values.vault);
  let context: DelegateContext;
  try {
    context = JSON.parse(values.context ?? '') as DelegateContext;
  } catch {
    throw new UsageError('--context expects the JSON the daemon passes');
  }
  if (typeof context?.agent !== 'string' || !Array.isArray(context.may) || typeof context.depth !== 'number') {
    throw new UsageError('--context needs agent, depth and may');
  }
  let store: Promise<NoteStore> | undefined;
  const loadStore = () => (store ??= import('../vault/note-store.ts').then((m) => new m.NoteStore(vault)));
  const server = createDelegateServer(loadStore, context, systemClock);
  await server.connect(new StdioTransport());
  // Served until Claude Code closes stdin at the end of the turn.
  await new Promise<void>((resolve) => process.stdin.once('close', () => resolve()));
  await server.close();
  return 0;
}
