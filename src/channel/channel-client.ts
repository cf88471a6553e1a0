import { request } from 'node:http';
import type { ChannelAddress } from './protocol.ts';

/**
 * One call to the daemon over the turn channel, from the turn's `scriptorium mcp`. No time limit: a
 * permission call is answered when a person decides (or the approval expires). Rejects when the daemon
 * cannot be reached or answers with an error.
 */
export function callDaemon<T>(address: ChannelAddress, route: string, body: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = request(
      { socketPath: address.socket, path: route, method: 'POST', headers: { authorization: `Bearer ${address.token}`, 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(new Error(`the daemon answered ${res.statusCode} with no JSON`));
            return;
          }
          if (res.statusCode !== 200) reject(new Error((parsed as { error?: string }).error ?? `the daemon answered ${res.statusCode}`));
          else resolve(parsed as T);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
