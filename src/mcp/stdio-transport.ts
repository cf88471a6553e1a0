import { createInterface } from 'node:readline';
import type { RpcMessage, Transport } from './tool-server.ts';

/** MCP's stdio transport: one JSON-RPC message per line, in on stdin, out on stdout. */
export class StdioTransport implements Transport {
  onmessage?: ((message: RpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  readonly #input: NodeJS.ReadableStream;
  readonly #output: NodeJS.WritableStream;

  constructor(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout) {
    this.#input = input;
    this.#output = output;
  }

  async start(): Promise<void> {
    const lines = createInterface({ input: this.#input, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (!line.trim()) return;
      let message: RpcMessage;
      try {
        message = JSON.parse(line) as RpcMessage;
      } catch (error) {
        this.onerror?.(error as Error);
        return;
      }
      this.onmessage?.(message);
    });
    lines.on('close', () => this.onclose?.());
  }

  send(message: RpcMessage): Promise<void> {
    return new Promise((resolve, reject) => this.#output.write(JSON.stringify(message) + '\n', (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}
