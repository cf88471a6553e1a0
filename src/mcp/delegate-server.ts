import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { delegationNote, MAX_DELEGATION_DEPTH, newCorrelationId } from '../messages/delegation.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { MCP_SERVER_NAME } from './names.ts';
import type { ChannelAddress } from '../channel/protocol.ts';
import { registerTurnTools } from './turn-tools.ts';

/** Who is calling: fixed by the daemon when it starts the turn, never chosen by the model. */
export interface DelegateContext {
  /** The agent whose turn this is. */
  agent: string;
  /** The depth of the message being answered; delegations go one deeper. */
  depth: number;
  /** The agents it may address, with their descriptions. */
  may: Array<{ name: string; description?: string | undefined }>;
  /** The message this turn answers: delegations point back to it, and so does the final reply. */
  message?: string | undefined;
  /** How `ask_user` and the permission prompt reach the daemon; without it neither is served. */
  channel?: ChannelAddress | undefined;
  /** Serve the permission prompt tool (the operator's `approvals` is on). */
  approvals?: boolean | undefined;
  /** Serve `ask_user`. */
  ask?: boolean | undefined;
}

export { MCP_SERVER_NAME, MCP_TOOL_NAMES } from './names.ts';

const task = { to: z.string().describe('the agent to hand the task to'), message: z.string().describe('the task, complete and self-contained'), correlation_id: z.string().optional().describe('your id for this task; echoed on the callback') };

/**
 * The `delegate`, `delegate_all` and `list_agents` tools, served to a turn over MCP. The tools write the
 * inbound note themselves and stamp `from`, `reply_to`, `delegation_depth` and `correlation_id`, so the
 * model cannot get them wrong; permission (`can_message`) and the depth limit are checked here first.
 */
export function createDelegateServer(store: NoteStore, context: DelegateContext, clock: Clock): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: '1.0.0' });
  const names = context.may.map((a) => a.name);
  const text = (t: string, isError = false) => ({ content: [{ type: 'text' as const, text: t }], ...(isError ? { isError: true } : {}) });

  const refuse = (to: string): string | null => {
    if (context.depth + 1 > MAX_DELEGATION_DEPTH) {
      return `Refused: delegation depth ${context.depth + 1} would pass the limit of ${MAX_DELEGATION_DEPTH}. Do the work yourself or answer with what you have.`;
    }
    if (!names.includes(to.toLowerCase())) {
      return `Refused: you may not message "${to}". Agents you may message: ${names.join(', ') || 'none'}.`;
    }
    return null;
  };

  const write = async (to: string, message: string, correlationId: string | undefined, group?: { id: string; size: number; deadline: Date | undefined }) => {
    const id = correlationId?.trim() || newCorrelationId(context.agent);
    const note = delegationNote({ from: context.agent, to: to.toLowerCase(), body: message, correlationId: id, depth: context.depth + 1, at: clock.now(), originMessage: context.message, ...(group ? { group } : {}) });
    const path = await store.create(note.dir, note.base, note.content);
    return { path, id };
  };

  if (context.channel) registerTurnTools(server, context.channel, { approvals: context.approvals === true, ask: context.ask === true });
  // No one to hand work to (can_message: [], or at the depth limit): no delegation tools.
  if (context.may.length === 0) return server;

  server.registerTool(
    'list_agents',
    { description: 'The agents you may hand work to, with what each does.' },
    async () => text(context.may.map((a) => `${a.name}${a.description ? `: ${a.description}` : ''}`).join('\n') || 'No agents.'),
  );

  server.registerTool(
    'delegate',
    {
      description: 'Hand one task to another agent. Its result comes back to you later as a callback message; end your turn after delegating.',
      inputSchema: task,
    },
    async ({ to, message, correlation_id }) => {
      const refusal = refuse(to);
      if (refusal) return text(refusal, true);
      let written;
      try {
        written = await write(to, message, correlation_id);
      } catch (error) {
        return text(`Not delivered: ${errorMessage(error)}`, true);
      }
      const { path, id } = written;
      return text(`Delegated to ${to} as ${path} (correlation_id ${id}). The result will arrive as a callback.`);
    },
  );

  server.registerTool(
    'delegate_all',
    {
      description: 'Hand several tasks to agents at once. You are called back once, when all are done (or one fails, or the deadline passes), with every result together.',
      inputSchema: {
        tasks: z.array(z.object(task)).min(1).describe('the tasks, one per agent message'),
        deadline_minutes: z.number().positive().optional().describe('report whatever has finished after this many minutes'),
      },
    },
    async ({ tasks, deadline_minutes }) => {
      for (const t of tasks) {
        const refusal = refuse(t.to);
        if (refusal) return text(refusal, true);
      }
      const group = {
        id: newCorrelationId(`${context.agent}-group`),
        size: tasks.length,
        deadline: deadline_minutes ? new Date(clock.now().getTime() + deadline_minutes * 60_000) : undefined,
      };
      const written = [];
      try {
        for (const t of tasks) written.push(await write(t.to, t.message, t.correlation_id, group));
      } catch (error) {
        const sent = written.map((w) => `- ${w.path} (correlation_id ${w.id})`).join('\n');
        return text(`Not all delivered: ${errorMessage(error)}${sent ? `\nDelivered before that:\n${sent}` : ''}`, true);
      }
      return text(
        `Delegated ${tasks.length} tasks as group ${group.id}:\n${written.map((w) => `- ${w.path} (correlation_id ${w.id})`).join('\n')}\nOne callback will bring all results.`,
      );
    },
  );
  return server;
}
