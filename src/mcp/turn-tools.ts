import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { callDaemon } from '../channel/channel-client.ts';
import { CHANNEL_ROUTES, type AskAnswer, type ChannelAddress, type PermissionAnswer } from '../channel/protocol.ts';
import { errorMessage } from '../util/errors.ts';
import { ASK_TOOL, PERMISSION_TOOL } from './names.ts';

const text = (t: string, isError = false) => ({ content: [{ type: 'text' as const, text: t }], ...(isError ? { isError: true } : {}) });

/**
 * The tools that reach the daemon while the turn runs: `ask_user` (the model asks the person a question;
 * the turn ends and resumes with the answer) and `approve`, Claude Code's permission prompt tool (a tool
 * call that needs permission becomes an approval note). Both only relay: the daemon decides.
 */
export function registerTurnTools(server: McpServer, channel: ChannelAddress, options: { approvals: boolean; ask: boolean }): void {
  if (options.ask) registerAsk(server, channel);
  if (options.approvals) registerPermissionPrompt(server, channel);
}

function registerAsk(server: McpServer, channel: ChannelAddress): void {
  server.registerTool(
    ASK_TOOL,
    {
      description:
        'Ask the user a question when you cannot go on well without their answer (a choice only they can make, information only they have). The question goes to them as a note; end your turn right after calling this. Their answer comes back as the next message in this conversation.',
      inputSchema: { question: z.string().min(1).describe('the question, complete and self-contained: the user reads it on its own, maybe on a phone') },
    },
    async ({ question }) => {
      try {
        const answer = await callDaemon<AskAnswer>(channel, CHANNEL_ROUTES.ask, { question });
        return text(answer.text, answer.isError === true);
      } catch (error) {
        return text(`The question could not be sent: ${errorMessage(error)}. Answer as best you can without it.`, true);
      }
    },
  );
}

function registerPermissionPrompt(server: McpServer, channel: ChannelAddress): void {
  server.registerTool(
    PERMISSION_TOOL,
    {
      description: "Scriptorium's permission prompt: Claude Code calls it for a tool call that needs permission.",
      inputSchema: { tool_name: z.string(), input: z.record(z.string(), z.unknown()), tool_use_id: z.string().optional() },
    },
    async ({ tool_name, input, tool_use_id }) => {
      let answer: PermissionAnswer;
      try {
        answer = await callDaemon<PermissionAnswer>(channel, CHANNEL_ROUTES.permission, { tool_name, input, tool_use_id });
      } catch (error) {
        answer = { behavior: 'deny', message: `Permission could not be asked (${errorMessage(error)}), so ${tool_name} was not run.` };
      }
      return text(JSON.stringify(answer));
    },
  );
}
