/**
 * The delegation server's names, apart from the server itself: the daemon needs them for every turn's
 * arguments, and must not load the MCP SDK (and zod) at start-up just for them.
 */
export const MCP_SERVER_NAME = 'scriptorium';
export const MCP_TOOL_NAMES = ['delegate', 'delegate_all', 'list_agents'].map((t) => `mcp__${MCP_SERVER_NAME}__${t}`);
