import { callDaemon } from '../channel/channel-client.ts';
import { CHANNEL_ROUTES, type AskAnswer, type ChannelAddress, type PermissionAnswer } from '../channel/protocol.ts';
import { errorMessage } from '../util/errors.ts';
import { ArgsError, objectArg, optionalString, requiredString } from './tool-args.ts';
import { ASK_TOOL, PERMISSION_TOOL } from './names.ts';
import { text, type Tool } from './tool-server.ts';

/**
 * The tools that reach the daemon while the turn runs: `ask_user` (the model asks the person a question;
 * the turn ends and resumes with the answer) and `approve`, Claude Code's permission prompt tool (a tool
 * call that needs permission becomes an approval note). Both only relay: the daemon decides.
 */
export function turnTools(channel: ChannelAddress, options: { approvals: boolean; ask: boolean }): Tool[] {
  return [...(options.ask ? [askTool(channel)] : []), ...(options.approvals ? [permissionTool(channel)] : [])];
}

function askTool(channel: ChannelAddress): Tool {
  return {
    name: ASK_TOOL,
    description:
      'Ask the user a question when you cannot go on well without their answer (a choice only they can make, information only they have). The question goes to them as a note; end your turn right after calling this. Their answer comes back as the next message in this conversation.',
    inputSchema: {
      type: 'object',
      properties: { question: { type: 'string', minLength: 1, description: 'the question, complete and self-contained: the user reads it on its own, maybe on a phone' } },
      required: ['question'],
    },
    call: async (args) => {
      let question: string;
      try {
        question = requiredString(args, 'question');
      } catch (error) {
        return text(`Invalid arguments: ${(error as ArgsError).message}.`, true);
      }
      try {
        const answer = await callDaemon<AskAnswer>(channel, CHANNEL_ROUTES.ask, { question });
        return text(answer.text, answer.isError === true);
      } catch (error) {
        return text(`The question could not be sent: ${errorMessage(error)}. Answer as best you can without it.`, true);
      }
    },
  };
}

function permissionTool(channel: ChannelAddress): Tool {
  return {
    name: PERMISSION_TOOL,
    description: "Scriptorium's permission prompt: Claude Code calls it for a tool call that needs permission.",
    inputSchema: { type: 'object', properties: { tool_name: { type: 'string' }, input: { type: 'object' }, tool_use_id: { type: 'string' } }, required: ['tool_name', 'input'] },
    call: async (args) => {
      let answer: PermissionAnswer;
      try {
        const call = { tool_name: requiredString(args, 'tool_name'), input: objectArg(args, 'input'), tool_use_id: optionalString(args, 'tool_use_id') };
        answer = await callDaemon<PermissionAnswer>(channel, CHANNEL_ROUTES.permission, call);
      } catch (error) {
        // Whatever went wrong, the call is denied, never allowed.
        answer = { behavior: 'deny', message: `Permission could not be asked (${errorMessage(error)}), so ${typeof args.tool_name === 'string' ? args.tool_name : 'the tool'} was not run.` };
      }
      return text(JSON.stringify(answer));
    },
  };
}
