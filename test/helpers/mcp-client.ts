// The MCP SDK's own client, connected in memory to a turn's tool server: every test of the server speaks
// to it as Claude Code does, so the hand-written protocol side (src/mcp/tool-server.ts) is checked too.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { ToolServer, Transport } from '../../src/mcp/tool-server.ts';

export async function connectClient(server: ToolServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // The SDK's transport has the same shape, with its own message types.
  await server.connect(serverSide as unknown as Transport);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}
