import type { PermissionAnswer, PermissionCall } from '../channel/protocol.ts';
import type { NeedsYou } from '../state/status-file.ts';
import { isoLocal, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';
import type { NoteStore } from '../vault/note-store.ts';
import { approvalBaseName, approvalNote, readDecision, summarizeInput } from './approval-note.ts';

/** The turn that asks: fixed by the daemon when the turn starts. */
export interface AskingTurn {
  agent: string;
  message: string;
  thread: string;
  /** The turn's own timeout stands still while a person decides. */
  pause(): void;
  resume(): void;
}

export interface ApprovalsDeps {
  store: NoteStore;
  clock: Clock;
  logger: Logger;
  /** How long a person has to decide before the call is denied. */
  timeoutMs: number;
  /** The agent whose turn wrote this note lately, if one did (turns/turn-writes.ts). */
  writerOf: (vaultPath: string) => { agent: string } | undefined;
  /** What needs a person changed: the dashboard and status.json show it. */
  changed: () => void;
  /** Post the new approval to the agent's `notify:` address, if it has one the operator allows. */
  notify: (agent: string, payload: Record<string, unknown>) => void;
}

interface Pending {
  turn: AskingTurn;
  call: PermissionCall;
  requestedAt: string;
  expiresAt: string;
  settle: (answer: PermissionAnswer) => void;
}

/**
 * Tool calls waiting for a person, each as an approval note (`agent/approval`). The turn's permission
 * prompt waits here until the note says `decision: allow` or `deny`, the approval expires (deny), or the
 * turn ends. Only a person decides: a decision an agent's turn wrote is refused and the call stays pending.
 * What the operator forbids never gets here (approvals/forbidden.ts).
 */
export class Approvals {
  readonly #deps: ApprovalsDeps;
  readonly #pending = new Map<string, Pending>();

  constructor(deps: ApprovalsDeps) {
    this.#deps = deps;
  }

  /** What waits for a person now, oldest first. */
  needsYou(): NeedsYou[] {
    return [...this.#pending].map(([path, p]) => ({ kind: 'approval', path, agent: p.turn.agent, what: `${p.call.tool_name}: ${summarizeInput(p.call.input)}`, since: p.requestedAt, expiresAt: p.expiresAt }));
  }

  /** A tool call needs permission: an approval note is written and the call waits for its decision. */
  async ask(turn: AskingTurn, call: PermissionCall, signal: AbortSignal): Promise<PermissionAnswer> {
    const { store, clock, logger, timeoutMs } = this.#deps;
    const at = clock.now();
    const expiresAt = new Date(at.getTime() + timeoutMs);
    const { dir, base } = approvalBaseName({ agent: turn.agent, tool: call.tool_name, at });
    let path: string;
    try {
      path = await store.create(dir, base, approvalNote({ agent: turn.agent, tool: call.tool_name, input: call.input, message: turn.message, thread: turn.thread, at, expiresAt }));
    } catch (error) {
      logger.error('could not write the approval note; the tool call is denied', { agent: turn.agent, tool: call.tool_name, error: errorMessage(error) });
      return { behavior: 'deny', message: `${call.tool_name} needs a person's approval, and the approval note could not be written (${errorMessage(error)}), so it was not run.` };
    }
    logger.info('tool call waits for approval', { note: path, agent: turn.agent, tool: call.tool_name });
    turn.pause();
    const answer = await new Promise<PermissionAnswer>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (a: PermissionAnswer) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#pending.delete(path);
        this.#deps.changed();
        resolve(a);
      };
      const onAbort = () => {
        settle({ behavior: 'deny', message: 'The turn ended before a decision.' });
        void this.#stamp(path, { decision: 'expired', decided_at: isoLocal(clock.now()), decided_by: 'nobody: the turn ended first' });
      };
      // Long waits are cut into steps: a timer cannot hold more than ~24.8 days, and the clock is the judge.
      const check = () => {
        const left = expiresAt.getTime() - clock.now().getTime();
        if (left > 0) {
          timer = setTimeout(check, Math.min(left, 2 ** 31 - 1));
          return;
        }
        logger.info('approval expired; the tool call is denied', { note: path, agent: turn.agent, tool: call.tool_name });
        settle({ behavior: 'deny', message: `Nobody approved ${call.tool_name} in time (the approval expired at ${isoLocal(expiresAt)}), so it was not run. Go on without it, or say in your answer what you needed.` });
        void this.#stamp(path, { decision: 'expired', decided_at: isoLocal(clock.now()), decided_by: 'nobody: it expired' });
      };
      this.#pending.set(path, { turn, call, requestedAt: isoLocal(at), expiresAt: isoLocal(expiresAt), settle });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      check();
      this.#deps.changed();
      this.#deps.notify(turn.agent, { type: 'approval', note: path, agent: turn.agent, tool: call.tool_name, input: summarizeInput(call.input), message: turn.message, expires_at: isoLocal(expiresAt) });
    });
    turn.resume();
    return answer;
  }

  /**
   * An approval note was written (by a person, a sync, or an agent): if a call waits for it and its
   * decision is set, the call goes on. One nothing waits for that still says `pending` (left from before
   * a restart) is marked expired, so no one decides in vain.
   */
  async seen(vaultPath: string, data: FrontmatterData): Promise<void> {
    const { clock, logger } = this.#deps;
    const pending = this.#pending.get(vaultPath);
    const decision = readDecision(data.decision);
    if (!pending) {
      if (decision === 'pending') {
        await this.#stamp(vaultPath, { decision: 'expired', error: 'no turn waits for this decision any more (Scriptorium stopped, or the turn ended), so it changes nothing' });
      }
      return;
    }
    if (decision === 'pending') return;
    if (decision === null) {
      await this.#stamp(vaultPath, { error: `decision: expected allow or deny, found ${JSON.stringify(data.decision)}; the call still waits` });
      return;
    }
    const writer = this.#deps.writerOf(vaultPath);
    if (writer) {
      // A turn (the asking agent's own, or any other) must not approve a call: only a person may.
      logger.warn("approval decided by an agent's turn; refused, it still waits for a person", { note: vaultPath, agent: writer.agent });
      await this.#stamp(vaultPath, { decision: 'pending', error: `decision: was written by ${writer.agent}'s turn: an agent cannot decide an approval, so the call still waits for a person` });
      return;
    }
    const reason = typeof data.reason === 'string' && data.reason.trim() ? data.reason.trim() : undefined;
    const tool = pending.call.tool_name;
    logger.info(`approval ${decision === 'allow' ? 'allowed' : 'denied'}`, { note: vaultPath, agent: pending.turn.agent, tool });
    pending.settle(
      decision === 'allow'
        ? { behavior: 'allow', updatedInput: pending.call.input }
        : { behavior: 'deny', message: `The user denied ${tool}${reason ? `: ${reason}` : ''}. Do not try it again in another way; go on without it, or say in your answer what you needed.` },
    );
    await this.#stamp(vaultPath, { decided_at: isoLocal(clock.now()), decided_by: 'user', error: undefined });
  }

  async #stamp(vaultPath: string, fields: FrontmatterData): Promise<void> {
    await this.#deps.store.update(vaultPath, fields).catch((error: unknown) => {
      this.#deps.logger.warn('could not write on the approval note', { note: vaultPath, error: errorMessage(error) });
    });
  }
}
