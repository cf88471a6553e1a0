import { MAX_DELEGATION_DEPTH } from '../messages/delegation-limit.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { NoteStore } from '../vault/note-store.ts';

/** The vault's note store, made when a tool first writes: most turns never delegate, and every turn waits for this server to start. */
export type StoreLoader = () => Promise<NoteStore>;
import { MCP_SERVER_NAME } from './names.ts';
import type { ChannelAddress } from '../channel/protocol.ts';
import { ArgsError, objectList, optionalPositive, optionalString, requiredString } from './tool-args.ts';
import { text, ToolServer, type Tool, type ToolResult } from './tool-server.ts';
import { turnTools } from './turn-tools.ts';

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

const TASK = {
  type: 'object',
  properties: {
    to: { type: 'string', description: 'the agent to hand the task to' },
    message: { type: 'string', description: 'the task, complete and self-contained' },
    correlation_id: { type: 'string', description: 'your id for this task; echoed on the callback' },
  },
  required: ['to', 'message'],
} as const;

/** Arguments checked first: a wrong call gets a sentence back as an error result. */
function checked(run: (args: Record<string, unknown>) => Promise<ToolResult>): (args: Record<string, unknown>) => Promise<ToolResult> {
  return async (args) => {
    try {
      return await run(args);
    } catch (error) {
      if (error instanceof ArgsError) return text(`Invalid arguments: ${error.message}.`, true);
      throw error;
    }
  };
}

/**
 * A turn's own MCP server: the delegation tools when the agent has someone to hand work to, and the tools
 * that reach the daemon (`ask_user`, the permission prompt) when the turn has its line to it.
 */
export function createDelegateServer(store: StoreLoader, context: DelegateContext, clock: Clock): ToolServer {
  const tools = [...(context.channel ? turnTools(context.channel, { approvals: context.approvals === true, ask: context.ask === true }) : []), ...delegateTools(store, context, clock)];
  return new ToolServer({ name: MCP_SERVER_NAME, version: '1.0.0' }, tools);
}

/**
 * The `delegate`, `delegate_all` and `list_agents` tools. The tools write the inbound note themselves and
 * stamp `from`, `reply_to`, `delegation_depth` and `correlation_id`, so the model cannot get them wrong;
 * permission (`can_message`) and the depth limit are checked here first. None when there is no one to
 * hand work to (can_message: [], or at the depth limit).
 */
export function delegateTools(store: StoreLoader, context: DelegateContext, clock: Clock): Tool[] {
  if (context.may.length === 0) return [];
  const names = context.may.map((a) => a.name);

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
    const { delegationNote, newCorrelationId } = await import('../messages/delegation.ts');
    const id = correlationId?.trim() || newCorrelationId(context.agent);
    const note = delegationNote({ from: context.agent, to: to.toLowerCase(), body: message, correlationId: id, depth: context.depth + 1, at: clock.now(), originMessage: context.message, ...(group ? { group } : {}) });
    const path = await (await store()).create(note.dir, note.base, note.content);
    return { path, id };
  };

  const task = (args: Record<string, unknown>) => ({ to: requiredString(args, 'to'), message: requiredString(args, 'message'), correlation_id: optionalString(args, 'correlation_id') });

  return [
    {
      name: 'delegate',
      description: 'Hand one task to another agent. Its result comes back to you later as a callback message; end your turn after delegating.',
      inputSchema: TASK,
      call: checked(async (args) => {
        const { to, message, correlation_id } = task(args);
        const refusal = refuse(to);
        if (refusal) return text(refusal, true);
        let written;
        try {
          written = await write(to, message, correlation_id);
        } catch (error) {
          return text(`Not delivered: ${errorMessage(error)}`, true);
        }
        return text(`Delegated to ${to} as ${written.path} (correlation_id ${written.id}). The result will arrive as a callback.`);
      }),
    },
    {
      name: 'delegate_all',
      description: 'Hand several tasks to agents at once. You are called back once, when all are done (or one fails, or the deadline passes), with every result together.',
      inputSchema: {
        type: 'object',
        properties: {
          tasks: { type: 'array', minItems: 1, items: TASK, description: 'the tasks, one per agent message' },
          deadline_minutes: { type: 'number', exclusiveMinimum: 0, description: 'report whatever has finished after this many minutes' },
        },
        required: ['tasks'],
      },
      call: checked(async (args) => {
        const tasks = objectList(args, 'tasks').map(task);
        const deadlineMinutes = optionalPositive(args, 'deadline_minutes');
        for (const t of tasks) {
          const refusal = refuse(t.to);
          if (refusal) return text(refusal, true);
        }
        const { newCorrelationId } = await import('../messages/delegation.ts');
        const group = {
          id: newCorrelationId(`${context.agent}-group`),
          size: tasks.length,
          deadline: deadlineMinutes ? new Date(clock.now().getTime() + deadlineMinutes * 60_000) : undefined,
        };
        const written = [];
        try {
          for (const t of tasks) written.push(await write(t.to, t.message, t.correlation_id, group));
        } catch (error) {
          const sent = written.map((w) => `- ${w.path} (correlation_id ${w.id})`).join('\n');
          return text(`Not all delivered: ${errorMessage(error)}${sent ? `\nDelivered before that:\n${sent}` : ''}`, true);
        }
        return text(`Delegated ${tasks.length} tasks as group ${group.id}:\n${written.map((w) => `- ${w.path} (correlation_id ${w.id})`).join('\n')}\nOne callback will bring all results.`);
      }),
    },
    {
      name: 'list_agents',
      description: 'The agents you may hand work to, with what each does.',
      inputSchema: { type: 'object', properties: {} },
      call: async () => text(context.may.map((a) => `${a.name}${a.description ? `: ${a.description}` : ''}`).join('\n') || 'No agents.'),
    },
  ];
}
