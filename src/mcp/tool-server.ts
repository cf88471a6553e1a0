/**
 * The little of MCP a turn's own server needs, without the SDK: JSON-RPC 2.0 requests `initialize`,
 * `ping`, `tools/list` and `tools/call`, and the client's notifications (ignored). Claude Code waits for
 * every MCP server of a turn before its first request to the model: the SDK and zod took ~170 ms of each
 * turn's start to load, this takes none (BENCHMARKS.md). Conformance is tested against the SDK's own
 * client (test/unit/mcp/).
 */

/** A JSON Schema for a tool's input, as MCP lists it. */
export type InputSchema = { type: 'object'; properties: Record<string, unknown>; required?: readonly string[] };

export interface ToolResult {
  content: Array<{ type: 'text'; text: string }>;
  isError?: boolean;
}

export interface Tool {
  name: string;
  description: string;
  inputSchema: InputSchema;
  /** `args` as the client sent them: checked by the tool itself (a sentence back when they are wrong). */
  call(args: Record<string, unknown>): Promise<ToolResult>;
}

/** A JSON-RPC message as a transport carries it (the SDK's Transport shape, so its in-memory pair works in tests). */
export type RpcMessage = { jsonrpc: '2.0'; id?: string | number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: unknown };

export interface Transport {
  start(): Promise<void>;
  send(message: RpcMessage): Promise<void>;
  close(): Promise<void>;
  onmessage?: ((message: RpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
}

export const text = (t: string, isError = false): ToolResult => ({ content: [{ type: 'text', text: t }], ...(isError ? { isError: true } : {}) });

/** The protocol version answered when the client asks for none: the one the SDK this was checked against speaks. */
const DEFAULT_PROTOCOL = '2025-06-18';

export class ToolServer {
  readonly #info: { name: string; version: string };
  readonly #tools: Map<string, Tool>;
  #transport: Transport | undefined;

  constructor(info: { name: string; version: string }, tools: Tool[]) {
    this.#info = info;
    this.#tools = new Map(tools.map((t) => [t.name, t]));
  }

  get toolNames(): string[] {
    return [...this.#tools.keys()];
  }

  async connect(transport: Transport): Promise<void> {
    this.#transport = transport;
    transport.onmessage = (message) => void this.#handle(message);
    await transport.start();
  }

  async close(): Promise<void> {
    await this.#transport?.close();
  }

  async #handle(message: RpcMessage): Promise<void> {
    // Notifications (no id) need no answer; responses to requests we never make are ignored.
    if (message.id === undefined || typeof message.method !== 'string') return;
    const reply = (body: { result: unknown } | { error: { code: number; message: string } }) => this.#transport?.send({ jsonrpc: '2.0', id: message.id, ...body });
    try {
      switch (message.method) {
        case 'initialize': {
          // The client's version is answered as is: the handful of methods served here are the same in all of them.
          const asked = message.params?.protocolVersion;
          const capabilities = this.#tools.size > 0 ? { tools: { listChanged: false } } : {};
          return void (await reply({ result: { protocolVersion: typeof asked === 'string' ? asked : DEFAULT_PROTOCOL, capabilities, serverInfo: this.#info } }));
        }
        case 'ping':
          return void (await reply({ result: {} }));
        case 'tools/list':
          if (this.#tools.size === 0) break;
          return void (await reply({ result: { tools: [...this.#tools.values()].map(({ name, description, inputSchema }) => ({ name, description, inputSchema })) } }));
        case 'tools/call': {
          if (this.#tools.size === 0) break;
          const name = message.params?.name;
          const tool = typeof name === 'string' ? this.#tools.get(name) : undefined;
          if (!tool) return void (await reply({ error: { code: -32602, message: `Unknown tool: ${String(name)}` } }));
          const args = message.params?.arguments;
          const result = await tool.call(args && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {});
          return void (await reply({ result }));
        }
      }
      await reply({ error: { code: -32601, message: `Method not found: ${message.method}` } });
    } catch (error) {
      await reply({ error: { code: -32603, message: (error as Error).message } });
    }
  }
}
