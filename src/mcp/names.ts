/**
 * The delegation server's names, apart from the server itself: the daemon needs them for every turn's
 * arguments, and must not load the MCP SDK (and zod) at start-up just for them.
 */
export const MCP_SERVER_NAME = 'scriptorium';
export const MCP_TOOL_NAMES = ['delegate', 'delegate_all', 'list_agents'].map((t) => `mcp__${MCP_SERVER_NAME}__${t}`);

/** The tool a model calls to ask the user a question (mcp/turn-tools.ts); pre-approved in every turn. */
export const ASK_TOOL = 'ask_user';
/** Scriptorium's permission prompt tool (`--permission-prompt-tool`), never offered to the model as a tool. */
export const PERMISSION_TOOL = 'approve';
export const ASK_TOOL_NAME = `mcp__${MCP_SERVER_NAME}__${ASK_TOOL}`;
export const PERMISSION_TOOL_NAME = `mcp__${MCP_SERVER_NAME}__${PERMISSION_TOOL}`;
