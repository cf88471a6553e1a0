// Bench 7, the turn's own MCP server: every turn has Scriptorium's server (ask_user, the permission prompt,
// the delegation tools), and Claude Code starts it and waits for it before its first request to the model.
// The real `claude` CLI against the fake Messages API, one plain turn with the server in its --mcp-config
// and the same argv without it, alternating, N of each per round. What the server adds to a turn is the
// difference of the medians.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { turnMcpConfig as TurnMcpConfig } from '../src/mcp/launch.ts';
import { claudeArgs } from '../src/runner/claude-args.ts';
import type { TurnRequest } from '../src/runner/types.ts';
import { claudeEnv, startFakeAnthropic } from '../test/helpers/fake-anthropic.ts';
import { printTable, progress, show } from './lib/report.ts';
import { percentile, spread, type Spread } from './lib/stats.ts';

// The built package's server, as `scriptorium start` runs it (launch.js names run.js beside it); the source's otherwise.
const BUILT = new URL('../dist/mcp/launch.js', import.meta.url);
const { turnMcpConfig } = (existsSync(BUILT) ? await import(BUILT.href) : await import('../src/mcp/launch.ts')) as { turnMcpConfig: typeof TurnMcpConfig };

const CLAUDE = fileURLToPath(new URL('../node_modules/.bin/claude', import.meta.url));

export interface TurnServerOptions {
  turns: number;
  runs: number;
}

export interface TurnServerResult {
  turns: number;
  runs: number;
  without: Spread;
  withServer: Spread;
  added: Spread;
  server: 'dist' | 'src';
}

export async function turnServerBench(options: TurnServerOptions): Promise<TurnServerResult> {
  const vault = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-server-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'scriptorium-bench-home-'));
  const fake = await startFakeAnthropic();
  const env = claudeEnv(fake, home);
  // What a turn of a lone agent gets: ask_user and the permission prompt (the channel is not called here).
  const mcpConfig = turnMcpConfig(vault, { agent: 'bench', depth: 0, may: [], channel: { socket: path.join(vault, 'none.sock'), token: 'bench' }, approvals: true, ask: true }, {});
  const base: TurnRequest = {
    agent: 'bench',
    prompt: 'hello',
    systemPrompt: '',
    sessionId: '',
    resume: false,
    cwd: vault,
    model: undefined,
    tools: ['Read'],
    allowedTools: [],
    disallowedTools: [],
    permissionMode: 'acceptEdits',
    maxTurns: 2,
    maxBudgetUsd: 1,
    timeoutMs: 60_000,
    addDirs: [],
    settingSources: ['user'],
  };
  const once = (server: boolean): Promise<number> => {
    const args = claudeArgs({ ...base, sessionId: randomUUID(), ...(server ? { mcpConfig, permissionPromptTool: 'mcp__scriptorium__approve' } : {}) });
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(CLAUDE, args, { cwd: vault, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.resume();
      child.stderr.resume();
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`claude exited ${code}`))));
    });
  };
  const rounds: Array<{ without: number; withServer: number }> = [];
  try {
    await once(false);
    await once(true);
    for (let r = 0; r < options.runs; r++) {
      const without: number[] = [];
      const withServer: number[] = [];
      for (let i = 0; i < options.turns; i++) {
        progress(`server: round ${r + 1}/${options.runs}, turn ${i + 1}/${options.turns}`);
        const order = i % 2 === 0 ? [false, true] : [true, false];
        for (const server of order) (server ? withServer : without).push(await once(server));
      }
      rounds.push({ without: percentile(without, 50), withServer: percentile(withServer, 50) });
    }
  } finally {
    await fake.close();
    rmSync(vault, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
  const result: TurnServerResult = {
    turns: options.turns,
    runs: options.runs,
    without: spread(rounds.map((r) => r.without)),
    withServer: spread(rounds.map((r) => r.withServer)),
    added: spread(rounds.map((r) => r.withServer - r.without)),
    server: existsSync(BUILT) ? 'dist' : 'src',
  };
  printTable(`The turn's own MCP server (${result.server}): ${options.runs} rounds of ${options.turns} turns each way`, [
    ['ms, median (min–max) over the rounds', ''],
    ['`claude -p` without the server', show(result.without)],
    ['`claude -p` with it', show(result.withServer)],
    ['added per turn', show(result.added)],
  ]);
  return result;
}
