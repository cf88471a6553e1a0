// A daemon on a temp vault running the REAL Claude Code CLI against the fake Messages API.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonConfig } from '../../src/config/operator-config.ts';
import type { Clock } from '../../src/util/clock.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createClaudeRunner } from '../../src/runner/run-claude.ts';
import { createMemoryLogger } from '../../src/util/logger.ts';
import { parseFrontmatter } from '../../src/vault/frontmatter.ts';
import { claudeEnv, startFakeAnthropic, type FakeAnthropic } from './fake-anthropic.ts';
import { PATIENCE_MS, waitFor } from './wait-for.ts';

export const CLAUDE = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

/**
 * How long to wait for what runs the real Claude Code CLI: it takes a second or two to start on an idle
 * machine (the fake takes a tenth of that), and a turn may take several requests.
 */
export const REAL_CLAUDE_PATIENCE_MS = 3 * PATIENCE_MS;

export interface RealClaudeVault {
  vault: string;
  home: string;
  fake: FakeAnthropic;
  daemon: Daemon;
  logger: ReturnType<typeof createMemoryLogger>;
  write(rel: string, text: string): Promise<void>;
  note(rel: string): Promise<{ data: Record<string, unknown>; body: string; raw: string }>;
  waitForStatus(rel: string, statuses: string[], timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startRealClaudeVault(files: Record<string, string>, options: { config?: Partial<DaemonConfig>; clock?: Clock; env?: Record<string, string | undefined> } = {}): Promise<RealClaudeVault> {
  const vault = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-e2e-vault-'));
  const home = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-e2e-home-'));
  const fake = await startFakeAnthropic();
  const write = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(vault, rel)), { recursive: true });
    await writeFile(path.join(vault, rel), text);
  };
  for (const [rel, text] of Object.entries({ 'Inbox/.keep': '', ...files })) await write(rel, text);
  const logger = createMemoryLogger();
  const daemon = new Daemon({
    vault,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    config: { settleMs: 50, quietForMs: 50, retryBaseMs: 100, ...options.config },
    // The CLI may take a while to exit after its result on a busy machine (it saves the session, stops its
    // MCP servers): a grace that ends only a process that really hangs on.
    runner: createClaudeRunner({ claudePath: CLAUDE, env: claudeEnv(fake, home, options.env), postResultGraceMs: 30_000, killGraceMs: 1_000 }),
  });
  await daemon.start();
  const note = async (rel: string) => {
    const raw = await readFile(path.join(vault, rel), 'utf8');
    return { ...parseFrontmatter(raw), raw };
  };
  return {
    vault,
    home,
    fake,
    daemon,
    logger,
    write,
    note,
    async waitForStatus(rel, statuses, timeoutMs = REAL_CLAUDE_PATIENCE_MS) {
      let last: Record<string, unknown> | undefined;
      await waitFor(
        async () => {
          last = (await note(rel)).data;
          return statuses.includes(String(last.status));
        },
        { timeoutMs, intervalMs: 50, what: `${rel} status ${statuses.join(' or ')} (last: ${JSON.stringify(last?.status)})` },
      );
      return last!;
    },
    async close() {
      // The daemon stops its turns (and waits for their processes) before their folders go.
      await daemon.close();
      await fake.close();
      await rm(vault, { recursive: true, force: true, maxRetries: 10 });
      await rm(home, { recursive: true, force: true, maxRetries: 10 });
    },
  };
}
