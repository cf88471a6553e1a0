import type { AgentDefinition } from '../agents/definition.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import type { Approvals } from '../approvals/approvals.ts';
import { forbiddenCall } from '../approvals/forbidden.ts';
import type { ChannelAddress } from '../channel/protocol.ts';
import type { TurnChannel } from '../channel/turn-channel.ts';
import type { TurnTimeout } from '../runner/turn-timeout.ts';
import type { Logger } from '../util/logger.ts';
import { realPathOf } from '../vault/real-path.ts';

export interface TurnLineDeps {
  root: string;
  registry: AgentRegistry;
  /** Absent: turns run without Scriptorium's line (no approvals, no `ask_user`): tests, `scriptorium run`. */
  channel?: TurnChannel | undefined;
  approvals?: Approvals | undefined;
  allowShell: boolean;
  allowedTools: string[] | undefined;
}

/**
 * One turn's line to the daemon: a call that needs permission is refused at once when the operator's
 * policy forbids it (approvals/forbidden.ts), and otherwise becomes an approval note; the turn's own
 * timeout stands still while a person decides. `ask_user` questions are kept for the turn's end.
 */
export function openTurnLine(
  deps: TurnLineDeps,
  turn: { agent: AgentDefinition; message: string; thread: string; timeout: TurnTimeout; log: Logger },
): { address: ChannelAddress; close(): void; questions: string[] } | undefined {
  const { channel, approvals } = deps;
  if (!channel) return undefined;
  const realRoot = realPathOf(deps.root);
  const ceiling = {
    allowShell: deps.allowShell,
    allowedTools: deps.allowedTools,
    folders: [...new Set([turn.agent.workspace, realRoot])],
    cwd: turn.agent.workspace,
    vault: realRoot,
    definitions: deps.registry.paths(),
  };
  // What the model asked the user (`ask_user`); after the turn, its reply note carries them.
  const questions: string[] = [];
  const line = channel.open({
    permission: async (call, signal) => {
      const forbidden = forbiddenCall(call.tool_name, call.input, ceiling);
      if (forbidden) {
        turn.log.info('tool call refused by the operator policy, not asked', { tool: call.tool_name, reason: forbidden });
        return { behavior: 'deny', message: `Refused by the operator's policy on this machine: ${forbidden}. No one can approve this; do not try it another way.` };
      }
      if (!approvals) return { behavior: 'deny', message: `${call.tool_name} needs permission, and asking is off on this machine.` };
      return approvals.ask({ agent: turn.agent.name, message: turn.message, thread: turn.thread, pause: () => turn.timeout.pause(), resume: () => turn.timeout.resume() }, call, signal);
    },
    ask: async (question) => {
      questions.push(question.trim());
      turn.log.info('the agent asks the user a question; its turn ends', { agent: turn.agent.name });
      return {
        text: 'Your question is on its way to the user, in the reply note of this turn. End your turn now, briefly, without guessing the answer: their answer comes back to you as the next message in this conversation.',
      };
    },
  });
  return { ...line, questions };
}
