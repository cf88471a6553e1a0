import type { TurnLogEntry } from './turns-log.ts';

/**
 * What the daemon is doing, as it happens: the terminal running `start`, the HTTP API's `/events` (and so
 * `scriptorium tail`) and the dashboard all listen here. Listeners must not throw into the daemon.
 */
export type DaemonEvent =
  | { type: 'turn-started'; data: { agent: string; message: string; thread: string; at: string } }
  | { type: 'tool'; data: { agent: string; message: string; tool: string; at: string } }
  | { type: 'api-retry'; data: { agent: string; message: string; attempt: number; maxRetries: number; error: string; at: string } }
  | { type: 'turn-finished'; data: TurnLogEntry & { text: string } }
  /** The turn's process ended but its notes could not be written yet (a full disk): they will be. */
  | { type: 'turn-unwritten'; data: { agent: string; message: string; error: string; at: string } }
  | { type: 'halt'; data: { halted: boolean; reason: string | undefined; at: string } };

export type DaemonEventListener = (event: DaemonEvent) => void;

export class DaemonEvents {
  readonly #listeners = new Set<DaemonEventListener>();

  subscribe(listener: DaemonEventListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  emit(event: DaemonEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a client gone mid-write) must not stop a turn.
      }
    }
  }
}
