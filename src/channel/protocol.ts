/**
 * What the daemon and a turn's `scriptorium mcp` say to each other over the turn channel
 * (channel/turn-channel.ts): two routes, JSON in and out. Kept apart so the MCP server loads no daemon code.
 */
export const CHANNEL_ROUTES = { permission: '/permission', ask: '/ask' } as const;

/** Where a turn's MCP server reaches the daemon: a Unix socket and the turn's own token. */
export interface ChannelAddress {
  socket: string;
  token: string;
}

/** Claude Code's permission prompt call, as its `--permission-prompt-tool` receives it. */
export interface PermissionCall {
  tool_name: string;
  input: Record<string, unknown>;
  tool_use_id?: string | undefined;
}

/** The answer Claude Code expects from a permission prompt tool (as JSON text). */
export type PermissionAnswer = { behavior: 'allow'; updatedInput: Record<string, unknown> } | { behavior: 'deny'; message: string };

/** What `ask_user` tells the model. */
export interface AskAnswer {
  text: string;
  isError?: boolean;
}
