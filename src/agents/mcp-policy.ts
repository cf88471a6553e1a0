import { MCP_SERVER_NAME } from '../mcp/names.ts';
import type { AgentDefinition, FieldProblem } from './definition.ts';
import type { OperatorPolicy } from './policy.ts';

/**
 * The MCP servers (`mcp:`) and secrets (`env:`) a definition chooses, against what the operator configured:
 * each must be in the config, offered to this agent, and a server's `${NAME}` secrets chosen too. A tool
 * of a server the agent does not get (`tools: [mcp__github__*]` without `mcp: [github]`) is a problem as
 * well: in a turn it would silently not exist.
 */
export function mcpProblems(definition: AgentDefinition, policy: OperatorPolicy): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const servers = policy.mcpServers ?? {};
  const secrets = policy.secrets ?? {};
  const configured = (names: string[]) => (names.length > 0 ? names.join(', ') : 'none');
  for (const name of definition.mcp) {
    const server = servers[name];
    if (name.toLowerCase() === MCP_SERVER_NAME) {
      problems.push({ field: 'mcp', message: `${name} is Scriptorium's own server: every turn has it, so leave it out` });
    } else if (!server) {
      problems.push({ field: 'mcp', message: `${name} is not an MCP server the operator configured on this machine (mcp_servers in the Scriptorium config: ${configured(Object.keys(servers))})` });
    } else if (server.agents && !server.agents.includes(definition.name)) {
      problems.push({ field: 'mcp', message: `the operator offers ${name} only to ${server.agents.join(', ')} (mcp_servers.${name}.agents in the Scriptorium config)` });
    } else {
      const needed = server.references.filter((ref) => ref in secrets && !definition.env.includes(ref));
      if (needed.length > 0) problems.push({ field: 'env', message: `${name} uses the secret${needed.length === 1 ? '' : 's'} ${needed.join(', ')} (\${${needed[0]}} in its config): add ${needed.join(', ')} to env` });
    }
  }
  for (const name of definition.env) {
    const secret = secrets[name];
    if (!secret) problems.push({ field: 'env', message: `${name} is not a secret the operator configured on this machine (secrets in the Scriptorium config: ${configured(Object.keys(secrets))})` });
    else if (secret.agents && !secret.agents.includes(definition.name)) problems.push({ field: 'env', message: `the operator offers ${name} only to ${secret.agents.join(', ')} (secrets in the Scriptorium config)` });
  }
  const missing = [...new Set(definition.tools.map(serverOfTool).filter((s): s is string => s !== undefined && s !== MCP_SERVER_NAME && !definition.mcp.includes(s)))];
  for (const server of missing) {
    const hint = server in servers ? `add mcp: [${server}]` : `no MCP server ${server} is configured on this machine (mcp_servers in the Scriptorium config: ${configured(Object.keys(servers))})`;
    problems.push({ field: 'tools', message: `the tools of ${server} (${definition.tools.filter((t) => serverOfTool(t) === server).join(', ')}) need the server itself: ${hint}` });
  }
  return problems;
}

/** `mcp__github__search` and `mcp__github__*` and `mcp__github` → `github`; a wildcard server part or a built-in tool → undefined. */
export function serverOfTool(tool: string): string | undefined {
  const match = /^mcp__(.+?)(?:__.*)?$/.exec(tool.replace(/\(.*$/s, '').trim());
  const server = match?.[1];
  return server && !server.includes('*') ? server : undefined;
}

/** What one agent's turns get: "researcher: MCP servers github; secrets GITHUB_TOKEN". Null when nothing. */
export function agentGrants(definition: AgentDefinition): string | null {
  if (definition.mcp.length === 0 && definition.env.length === 0) return null;
  const parts = [];
  if (definition.mcp.length > 0) parts.push(`MCP servers ${definition.mcp.join(', ')}`);
  if (definition.env.length > 0) parts.push(`secrets ${definition.env.join(', ')} (names; values are never shown)`);
  return `${definition.name} gets ${parts.join('; ')}`;
}
