import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AgentDefinition } from '../agents/definition.ts';
import { SHELL_TOOLS, type SettingSource } from '../agents/policy.ts';
import type { AgentRegistry } from '../agents/registry.ts';
import type { OperatorPolicy } from '../agents/policy.ts';
import { turnMcpConfig } from '../mcp/launch.ts';
import { ASK_TOOL_NAME, MCP_TOOL_NAMES, PERMISSION_TOOL_NAME } from '../mcp/names.ts';
import type { ChannelAddress } from '../channel/protocol.ts';
import { APPROVALS_DIR } from '../approvals/approval-note.ts';
import { MAX_DELEGATION_DEPTH, mayAddress } from '../messages/delegation.ts';
import type { InboundMessage } from '../messages/inbound.ts';
import { buildPrompt } from '../messages/prompt.ts';
import { preApproved } from '../runner/claude-args.ts';
import type { TurnProgress, TurnRequest } from '../runner/types.ts';
import type { ThreadState } from '../threads/thread-note.ts';
import { targetToPath } from '../vault/links.ts';
import { realPathOf } from '../vault/real-path.ts';

export interface RequestDeps {
  root: string;
  /** The vault folder as the user named it (a link to `root`), if known. */
  rootAsGiven?: string | undefined;
  registry: AgentRegistry;
  /** The operator allows a shell (`allow_shell`); without it, every shell tool is denied. */
  allowShell: boolean;
  /** The Claude Code settings turns load (`setting_sources`). */
  settingSources: SettingSource[];
  /** The operator's MCP servers and secrets, by name (what `mcp:` and `env:` choose from). */
  policy: Pick<OperatorPolicy, 'mcpServers' | 'secrets'>;
  /** The secrets' values, read when the daemon started (config/secrets.ts). */
  secretValues: ReadonlyMap<string, string>;
  /** This turn's line to the daemon (channel/turn-channel.ts): `ask_user` and approvals go through it. */
  channel?: ChannelAddress | undefined;
  /** Calls that need permission become approval notes (`approvals`), waiting at most `timeoutMs`. */
  approvals?: { on: boolean; timeoutMs: number } | undefined;
  /** Aborted at shutdown once the grace period is over. */
  stopSignal: AbortSignal;
  onProgress: (message: InboundMessage, agent: AgentDefinition, progress: TurnProgress) => void;
}

/**
 * Everything `claude -p` needs for the message's turn, from the agent's definition and the message.
 * `agent.workspace` is the real folder the turn runs in (agents/workspace.ts checked it).
 */
export function turnRequest(deps: RequestDeps, agent: AgentDefinition, message: InboundMessage, threadPath: string, thread: ThreadState, at: Date): TurnRequest {
  const { root, registry } = deps;
  const realRoot = realPathOf(root);
  const resume = thread.session !== undefined;
  // The agents this one may hand work to; with none (or at the depth limit) no delegation tools are served.
  const directory =
    message.delegationDepth + 1 > MAX_DELEGATION_DEPTH
      ? []
      : registry
          .definitions()
          .filter((d) => d.name !== agent.name && d.enabled && mayAddress(agent, d.name))
          .map(directoryEntry);
  const delegates = directory.length > 0;
  const approvals = deps.channel !== undefined && deps.approvals?.on === true;
  // Scriptorium's own server: the delegation tools when there is someone to hand work to, `ask_user` and
  // the permission prompt when the turn has its line to the daemon.
  const own = delegates || deps.channel ? { agent: agent.name, depth: message.delegationDepth, may: directory, message: originOf(message), channel: deps.channel, approvals, ask: deps.channel !== undefined } : undefined;
  const chosen = Object.fromEntries(agent.mcp.flatMap((name) => (deps.policy.mcpServers?.[name] ? [[name, deps.policy.mcpServers[name].entry]] : [])));
  const mcpConfig = turnMcpConfig(root, own, chosen, approvals ? deps.approvals!.timeoutMs + 60_000 : undefined);
  return {
    agent: agent.name,
    prompt: buildPrompt(message, {
      threadPath,
      at,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      senderIsAgent: message.from !== 'user' && registry.lookup(message.from.toLowerCase()).kind !== 'unknown',
      self: agent.name,
      directory,
      delegateTool: delegates,
    }),
    systemPrompt: agent.prompt,
    sessionId: thread.session ?? randomUUID(),
    resume,
    cwd: agent.workspace,
    model: agent.model,
    tools: agent.tools,
    allowedTools: [...preApproved(agent.tools), ...(delegates ? MCP_TOOL_NAMES : []), ...(deps.channel ? [ASK_TOOL_NAME] : [])],
    mcpConfig,
    permissionPromptTool: approvals ? PERMISSION_TOOL_NAME : undefined,
    env: turnEnv(deps, agent),
    // Deny rules win in every permission mode: without allow_shell no shell runs, whatever `tools` says
    // (`tools: default` would otherwise offer Bash).
    disallowedTools: [...agent.disallowedTools, ...protectedPaths([...new Set([root, realRoot, deps.rootAsGiven ?? root])], registry), ...(deps.allowShell ? [] : SHELL_TOOLS)],
    permissionMode: agent.permissionMode,
    maxTurns: agent.maxTurns,
    maxBudgetUsd: agent.maxBudgetUsd,
    timeoutMs: agent.timeoutMs,
    addDirs: agent.workspace === realRoot || agent.workspace === root ? [] : [realRoot],
    settingSources: deps.settingSources,
    signal: deps.stopSignal,
    onProgress: (progress) => deps.onProgress(message, agent, progress),
  };
}

/**
 * The secrets in the turn's environment: the agent's chosen ones with their values, every other configured
 * secret taken out (it may be in the daemon's own environment, which turns otherwise inherit).
 */
function turnEnv(deps: RequestDeps, agent: AgentDefinition): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(deps.policy.secrets ?? {})) env[name] = agent.env.includes(name) ? deps.secretValues.get(name) : undefined;
  return env;
}

/**
 * An agent must not widen its own powers, lift a halt or decide an approval by writing a note: edits to
 * definition notes, HALT.md, approval notes and dot-folders are denied (absolute paths, Claude Code's `//` form).
 */
function protectedPaths(roots: string[], registry: AgentRegistry): string[] {
  // Every turn has a rule per definition note: made once per change of the definitions, not per turn.
  const key = roots.join('\0');
  const kept = protectedRules.get(registry);
  if (kept && kept.version === registry.version && kept.roots === key) return kept.rules;
  // The vault as given and as it really is, when a link leads to it: a rule must match whichever form an
  // edit names.
  const rules = roots.flatMap((root) => {
    const abs = (p: string) => `Edit(/${path.join(root, p).split(path.sep).join('/')})`;
    return [...registry.paths().map(abs), abs('HALT.md'), abs(`${APPROVALS_DIR}/**`), abs('.*/**'), abs('**/.*/**')];
  });
  protectedRules.set(registry, { version: registry.version, roots: key, rules });
  return rules;
}

const protectedRules = new WeakMap<AgentRegistry, { version: number; roots: string; rules: string[] }>();

/** One line each: the directory travels in the turn's arguments. Made once per reading of a definition. */
function directoryEntry(d: AgentDefinition): { name: string; description: string | undefined } {
  let entry = directoryEntries.get(d);
  if (!entry) {
    entry = { name: d.name, description: d.description ? oneLine(d.description, 200) : undefined };
    directoryEntries.set(d, entry);
  }
  return entry;
}

const directoryEntries = new WeakMap<AgentDefinition, { name: string; description: string | undefined }>();

/** The message a delegation made in this turn points back to: a callback's own origin, or this message. */
export function originOf(message: InboundMessage): string {
  return message.callback && message.originMessage ? targetToPath(message.originMessage) : message.path;
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
