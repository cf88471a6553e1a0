import { MCP_SERVER_NAME } from '../mcp/names.ts';
import { namedLikeSecret } from '../util/redact.ts';

/**
 * An MCP server the operator makes available to agents (`mcp_servers:` in the config file). `entry` is
 * what Claude Code's `mcpServers` holds for it (command/args/env, or type/url/headers), passed on as it
 * is; `agents` is Scriptorium's own key, taken out before: the agents that may choose the server.
 */
export interface McpServerConfig {
  entry: Record<string, unknown>;
  /** Unset: any agent may choose it with `mcp: [name]`. */
  agents: string[] | undefined;
  /** The `${NAME}` references in its command, args, env, url and headers (Claude Code expands them from the turn's environment). */
  references: string[];
}

/** Server names become part of tool names (`mcp__github__search`): letters, digits, `-` and `_`. */
export const MCP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const STRING_KEYS = ['type', 'command', 'url', 'cwd'] as const;
const TYPES = ['stdio', 'http', 'sse'];

/**
 * `mcp_servers:` read and checked: a map of names to entries, each one a stdio server (`command`, with
 * optional `args`, `env`, `cwd`) or a remote one (`type: http` or `sse` with `url`, optional `headers`).
 * Any other key Claude Code knows (`timeout`, …) passes through. Returns a problem sentence on the first
 * fault, naming the server and the key.
 */
export function parseMcpServers(value: unknown): Record<string, McpServerConfig> | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'expected a map of server names to entries (as in Claude Code\'s mcpServers)';
  const servers: Record<string, McpServerConfig> = {};
  for (const [name, raw] of Object.entries(value)) {
    if (!MCP_NAME.test(name)) return `${JSON.stringify(name)}: a server name is letters, digits, "-" and "_"`;
    if (name.toLowerCase() === MCP_SERVER_NAME) return `${name}: the name is Scriptorium's own server's; choose another`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return `${name}: expected an entry with command (or type and url)`;
    const { agents, ...entry } = raw as Record<string, unknown>;
    for (const key of STRING_KEYS) {
      if (entry[key] !== undefined && (typeof entry[key] !== 'string' || entry[key] === '')) return `${name}.${key}: expected text`;
    }
    const type = (entry.type as string | undefined) ?? (entry.url !== undefined ? undefined : 'stdio');
    if (type !== undefined && !TYPES.includes(type)) return `${name}.type: expected stdio, http or sse`;
    if (type === 'stdio' && entry.command === undefined) return `${name}: a stdio server needs command`;
    if ((type === 'http' || type === 'sse' || type === undefined) && entry.command === undefined && entry.url === undefined) return `${name}: needs command, or type and url`;
    if (entry.url !== undefined && type === undefined) return `${name}: a server with url needs type: http or type: sse`;
    if (entry.args !== undefined && !(Array.isArray(entry.args) && entry.args.every((a) => typeof a === 'string'))) return `${name}.args: expected a list of text`;
    for (const key of ['env', 'headers']) {
      const map = entry[key];
      if (map !== undefined && !(map && typeof map === 'object' && !Array.isArray(map) && Object.values(map).every((v) => typeof v === 'string'))) {
        return `${name}.${key}: expected a map of names to text`;
      }
    }
    let allowed: string[] | undefined;
    if (agents !== undefined) {
      if (!Array.isArray(agents) || !agents.every((a) => typeof a === 'string' && a.trim() !== '')) return `${name}.agents: expected a list of agent names`;
      allowed = agents.map((a) => a.trim().toLowerCase());
    }
    servers[name] = { entry: type && !entry.type ? { type, ...entry } : entry, agents: allowed, references: referencesIn(entry) };
  }
  return servers;
}

/** `${NAME}` and `${NAME:-default}`, the forms Claude Code expands in an MCP entry. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;

function referencesIn(entry: Record<string, unknown>): string[] {
  const texts: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') texts.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(entry);
  return [...new Set(texts.flatMap((t) => [...t.matchAll(REFERENCE)].map((m) => m[1]!)))];
}

/**
 * Values written straight into an entry's `env` or `headers` under a name that says secret (`GITHUB_TOKEN`,
 * `Authorization`), not `${NAME}` references: the redactor learns them, since a token pasted there is as
 * secret as one in `secrets`. Other values (`NODE_ENV: production`) are ordinary words and stay.
 */
export function inlineValues(servers: Record<string, McpServerConfig>): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const [server, { entry }] of Object.entries(servers)) {
    for (const key of ['env', 'headers']) {
      for (const [field, value] of Object.entries((entry[key] as Record<string, string> | undefined) ?? {})) {
        if (!namedLikeSecret(field.replace(/-/g, '_')) && !/^(proxy-)?authorization$/i.test(field)) continue;
        const bare = value.replace(REFERENCE, '').replace(/^(Bearer|Basic)\s+/i, '').trim();
        if (bare) out.push({ name: `mcp_servers.${server}.${key}.${field}`, value: bare });
      }
    }
  }
  return out;
}
