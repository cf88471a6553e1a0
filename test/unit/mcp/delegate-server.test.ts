import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ToolServer } from '../../../src/mcp/tool-server.ts';
import { connectClient } from '../../helpers/mcp-client.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_DELEGATION_DEPTH } from '../../../src/messages/delegation.ts';
import { createDelegateServer, MCP_TOOL_NAMES, type DelegateContext } from '../../../src/mcp/delegate-server.ts';
import type { Clock } from '../../../src/util/clock.ts';
import { NoteStore } from '../../../src/vault/note-store.ts';
import { createTempVault, type TempVault } from '../../helpers/temp-vault.ts';

const AT = new Date(Date.UTC(2026, 10, 21, 19, 36, 5));
const clock: Clock = { now: () => AT };

const CONTEXT: DelegateContext = {
  agent: 'boss',
  depth: 1,
  may: [
    { name: 'worker', description: 'Does the legwork.' },
    { name: 'writer', description: undefined },
  ],
  message: 'Inbox/Plan a trip.md',
};

interface Connected {
  vault: TempVault;
  client: Client;
  server: ToolServer;
}

let open: Connected[] = [];

async function connect(context: DelegateContext = CONTEXT): Promise<Connected> {
  const vault = await createTempVault();
  const server = createDelegateServer(async () => new NoteStore(vault.root), context, clock);
  const client = await connectClient(server);
  const connected = { vault, client, server };
  open.push(connected);
  return connected;
}

afterEach(async () => {
  for (const { client, server, vault } of open) {
    await client.close();
    await server.close();
    await vault.cleanup();
  }
  open = [];
});

type ToolResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };
async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ text: string; isError: boolean }> {
  const result = (await client.callTool({ name, arguments: args })) as ToolResult;
  return { text: result.content.map((c) => c.text ?? '').join('\n'), isError: result.isError === true };
}

describe('the delegate MCP server', () => {
  it('serves delegate, delegate_all and list_agents', async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['delegate', 'delegate_all', 'list_agents']);
    expect(MCP_TOOL_NAMES).toEqual(['mcp__scriptorium__delegate', 'mcp__scriptorium__delegate_all', 'mcp__scriptorium__list_agents']);
    const delegate = tools.find((t) => t.name === 'delegate')!;
    expect(Object.keys(delegate.inputSchema.properties ?? {}).sort()).toEqual(['correlation_id', 'message', 'to']);
    expect(delegate.inputSchema.required).toEqual(expect.arrayContaining(['to', 'message']));
  });

  it('list_agents lists the agents it may message, with their descriptions', async () => {
    const { client } = await connect();
    const result = await call(client, 'list_agents');
    expect(result.isError).toBe(false);
    expect(result.text).toBe('worker: Does the legwork.\nwriter');
  });

  it('a call with wrong arguments gets a sentence back as an error result; the server goes on', async () => {
    const { client, vault } = await connect();
    expect(await call(client, 'delegate', { to: 'worker' })).toEqual({ text: 'Invalid arguments: message is required, as text.', isError: true });
    expect(await call(client, 'delegate_all', { tasks: [] })).toEqual({ text: 'Invalid arguments: tasks must be a list of at least one object.', isError: true });
    expect(await call(client, 'delegate_all', { tasks: [{ to: 'worker', message: 'x' }], deadline_minutes: -1 })).toEqual({ text: 'Invalid arguments: deadline_minutes must be a number above 0.', isError: true });
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/Unknown tool: nope/);
    await client.ping();
    expect(await vault.list('Inbox')).toEqual([]);
  });

  it('with no agent to message (or no line to the daemon), no tool of its own is offered', async () => {
    const { client } = await connect({ ...CONTEXT, may: [] });
    expect(client.getServerCapabilities()?.tools).toBeUndefined();
  });

  it('with its line to the daemon: ask_user when asked for, and the permission prompt when approvals are on', async () => {
    const { client } = await connect({ ...CONTEXT, may: [], channel: { socket: '/nonexistent/turns.sock', token: 't' }, approvals: true, ask: true });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['approve', 'ask_user']);
    // The daemon cannot be reached: the call is denied, saying why, never allowed.
    const answer = JSON.parse((await call(client, 'approve', { tool_name: 'Write', input: { file_path: '/x' } })).text) as { behavior: string; message: string };
    expect(answer.behavior).toBe('deny');
    expect(answer.message).toMatch(/^Permission could not be asked \(.*\), so Write was not run\.$/);
  });

  it('delegate writes an inbound note in Inbox/, stamped by the daemon-given context, not the model', async () => {
    const { client, vault } = await connect();
    const result = await call(client, 'delegate', { to: 'worker', message: 'Find the population of Rome in 100 AD.', correlation_id: 'pop-rome' });
    expect(result.isError).toBe(false);
    const notes = await vault.list('Inbox');
    expect(notes).toHaveLength(1);
    const path = notes[0]!;
    expect(path).toMatch(/^Inbox\/2026-11-21 193605 worker - from boss - Find the population of Rome\.md$/);
    expect(result.text).toContain(path);
    expect(result.text).toContain('correlation_id pop-rome');
    expect(await vault.fields(path)).toEqual({
      tags: ['agent/message/inbound'],
      to: 'worker',
      from: 'boss',
      reply_to: 'boss',
      correlation_id: 'pop-rome',
      delegation_depth: 2,
      status: 'ready',
      created: '2026-11-21T19:36:05+00:00',
      origin_message: '[[Inbox/Plan a trip]]',
    });
    expect(await vault.body(path)).toBe('Find the population of Rome in 100 AD.\n');
  });

  it('delegate generates a correlation id when none is given, and reports it', async () => {
    const { client, vault } = await connect();
    const result = await call(client, 'delegate', { to: 'worker', message: 'Do it.' });
    const [path] = await vault.list('Inbox');
    const id = (await vault.fields(path!)).correlation_id;
    expect(id).toMatch(/^boss-[0-9a-f]{8}$/);
    expect(result.text).toContain(`correlation_id ${id}`);
  });

  it('delegate accepts the agent name in any case and writes it in lower case', async () => {
    const { client, vault } = await connect();
    expect((await call(client, 'delegate', { to: 'Worker', message: 'Do it.' })).isError).toBe(false);
    const [path] = await vault.list('Inbox');
    expect((await vault.fields(path!)).to).toBe('worker');
  });

  it('delegate refuses an agent it may not message, and writes nothing', async () => {
    const { client, vault } = await connect();
    const result = await call(client, 'delegate', { to: 'admin', message: 'Grant me everything.' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('you may not message "admin"');
    expect(result.text).toContain('worker, writer');
    expect(await vault.listAll({ withDotFolders: true })).toEqual([]);
  });

  it(`delegate refuses any delegation from a message at depth ${MAX_DELEGATION_DEPTH}, and writes nothing`, async () => {
    const { client, vault } = await connect({ ...CONTEXT, depth: MAX_DELEGATION_DEPTH });
    const result = await call(client, 'delegate', { to: 'worker', message: 'One more hop.' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`would pass the limit of ${MAX_DELEGATION_DEPTH}`);
    expect(await vault.listAll({ withDotFolders: true })).toEqual([]);
  });

  it(`still delegates from depth ${MAX_DELEGATION_DEPTH - 1}, writing depth ${MAX_DELEGATION_DEPTH}`, async () => {
    const { client, vault } = await connect({ ...CONTEXT, depth: MAX_DELEGATION_DEPTH - 1 });
    expect((await call(client, 'delegate', { to: 'worker', message: 'Last hop.' })).isError).toBe(false);
    const [path] = await vault.list('Inbox');
    expect((await vault.fields(path!)).delegation_depth).toBe(MAX_DELEGATION_DEPTH);
  });

  it('without a context message, writes no origin_message', async () => {
    const { client, vault } = await connect({ agent: 'boss', depth: 0, may: [{ name: 'worker' }] });
    await call(client, 'delegate', { to: 'worker', message: 'Do it.' });
    const [path] = await vault.list('Inbox');
    const fields = await vault.fields(path!);
    expect('origin_message' in fields).toBe(false);
    expect(fields.delegation_depth).toBe(1);
  });

  it('delegate_all writes one note per task, sharing a group id, with group_size and the deadline', async () => {
    const { client, vault } = await connect();
    const result = await call(client, 'delegate_all', {
      tasks: [
        { to: 'worker', message: 'Task one.', correlation_id: 't1' },
        { to: 'writer', message: 'Task two.' },
        { to: 'worker', message: 'Task three.', correlation_id: 't3' },
      ],
      deadline_minutes: 30,
    });
    expect(result.isError).toBe(false);
    const notes = await vault.list('Inbox');
    expect(notes).toHaveLength(3);
    const fields = await Promise.all(notes.map((p) => vault.fields(p)));
    const group = fields[0]!.group;
    expect(group).toMatch(/^boss-group-[0-9a-f]{8}$/);
    expect(result.text).toContain(`group ${String(group)}`);
    for (const f of fields) {
      expect(f).toMatchObject({ group, group_size: 3, group_deadline: '2026-11-21T20:06:05+00:00', from: 'boss', reply_to: 'boss', delegation_depth: 2, status: 'ready', origin_message: '[[Inbox/Plan a trip]]' });
    }
    const byBody = Object.fromEntries(await Promise.all(notes.map(async (p, i) => [(await vault.body(p)).trim(), fields[i]!] as const)));
    expect(byBody['Task one.']).toMatchObject({ to: 'worker', correlation_id: 't1' });
    expect(byBody['Task two.']!.to).toBe('writer');
    expect(byBody['Task two.']!.correlation_id).toMatch(/^boss-[0-9a-f]{8}$/);
    expect(byBody['Task three.']).toMatchObject({ to: 'worker', correlation_id: 't3' });
  });

  it('delegate_all without deadline_minutes writes no group_deadline', async () => {
    const { client, vault } = await connect();
    await call(client, 'delegate_all', { tasks: [{ to: 'worker', message: 'One.' }, { to: 'writer', message: 'Two.' }] });
    const notes = await vault.list('Inbox');
    expect(notes).toHaveLength(2);
    for (const p of notes) {
      const f = await vault.fields(p);
      expect(f.group_size).toBe(2);
      expect('group_deadline' in f).toBe(false);
    }
  });

  it('delegate_all refuses the whole batch when one task names an agent it may not message, and writes nothing', async () => {
    const { client, vault } = await connect();
    const result = await call(client, 'delegate_all', { tasks: [{ to: 'worker', message: 'Fine.' }, { to: 'admin', message: 'Not fine.' }] });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('"admin"');
    expect(await vault.listAll({ withDotFolders: true })).toEqual([]);
  });

  it(`delegate_all refuses at depth ${MAX_DELEGATION_DEPTH}`, async () => {
    const { client, vault } = await connect({ ...CONTEXT, depth: MAX_DELEGATION_DEPTH });
    const result = await call(client, 'delegate_all', { tasks: [{ to: 'worker', message: 'x' }] });
    expect(result.isError).toBe(true);
    expect(await vault.listAll({ withDotFolders: true })).toEqual([]);
  });
});
