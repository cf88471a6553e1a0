// Attack: a value in a note becomes an option of `claude`. `tools: [Read, "--settings", '{"hooks":…}']`
// once passed straight into `--allowedTools`' list, and Claude Code read `--settings` as its own flag: a
// hook ran a shell command. Every note value that reaches argv is tried here with a leading "-".
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDefinition, type AgentDefinition } from '../../src/agents/definition.ts';
import { AgentRegistry } from '../../src/agents/registry.ts';
import { readInbound } from '../../src/messages/inbound.ts';
import { claudeArgs } from '../../src/runner/claude-args.ts';
import { readThreadState } from '../../src/threads/thread-note.ts';
import { threadNoteProblem } from '../../src/turns/open-thread.ts';
import { turnRequest } from '../../src/turns/turn-request.ts';

const VAULT = path.resolve('/vault');
const HOSTILE = ['-x', '--settings', '--settings={"hooks":{"UserPromptSubmit":[]}}', '-p', '--dangerously-skip-permissions'];

/** The flags Scriptorium gives `claude`, and how many values each takes when not attached with "=". */
const OUR_FLAGS: Record<string, number> = {
  '-p': 0,
  '--output-format': 1,
  '--verbose': 0,
  '--session-id': 1,
  '--resume': 1,
  '--system-prompt-snapshot': 1,
  '--setting-sources': 1,
  '--append-system-prompt': 1,
  '--model': 1,
  '--permission-mode': 1,
  '--tools': 1,
  '--allowedTools': 1,
  '--disallowedTools': 1,
  '--add-dir': 1,
  '--mcp-config': 1,
  '--strict-mcp-config': 0,
  '--max-turns': 1,
  '--max-budget-usd': 1,
};

/** The options `claude` would see before `--`, read the way its parser reads them; throws on a stranger. */
function optionsSeen(args: string[]): string[] {
  const seen: string[] = [];
  const end = args.indexOf('--');
  for (let i = 0; i < (end === -1 ? args.length : end); i++) {
    const arg = args[i]!;
    const name = arg.startsWith('--') && arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (!(name in OUR_FLAGS)) throw new Error(`claude would read ${JSON.stringify(arg)} as an option`);
    seen.push(name);
    if (name === arg) i += OUR_FLAGS[name]!;
  }
  return seen;
}

function definition(data: Record<string, unknown>, body = 'You help.'): AgentDefinition {
  const result = parseDefinition('Agents/helper.md', data, body, VAULT);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

function argvFor(agent: AgentDefinition, messageBody: string, session?: string): string[] {
  const registry = new AgentRegistry();
  registry.set(agent.path, { ok: true, definition: agent });
  registry.set('Agents/other.md', { ok: true, definition: definition({ name: 'other', description: '--settings={}' }) });
  const reading = readInbound('Inbox/m.md', { tags: ['agent/message/inbound'], to: agent.name, status: 'ready' }, messageBody);
  if (!reading.ok) throw new Error(reading.error);
  const request = turnRequest(
    { root: VAULT, registry, allowShell: false, settingSources: ['user'], policy: {}, secretValues: new Map(), stopSignal: new AbortController().signal, onProgress: () => {} },
    agent,
    reading.message,
    'Threads/helper.md',
    readThreadState(session ? { session } : {}),
    new Date('2026-12-05T10:00:00Z'),
  );
  return claudeArgs(request);
}

describe('a value that reaches argv cannot be an option', () => {
  for (const field of ['tools', 'disallowed_tools'] as const) {
    for (const value of HOSTILE) {
      it(`${field}: ${JSON.stringify(value)} is refused on the definition, naming the field`, () => {
        for (const data of [{ [field]: ['Read', value] }, { [field]: `Read, ${value}` }]) {
          const result = parseDefinition('Agents/helper.md', data, '', VAULT);
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.problems.some((p) => p.field === field && p.message.includes('not a tool name'))).toBe(true);
        }
      });
    }
  }

  for (const value of HOSTILE) {
    it(`model: ${JSON.stringify(value)} is refused on the definition`, () => {
      const result = parseDefinition('Agents/helper.md', { model: value }, '', VAULT);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems).toEqual([{ field: 'model', message: expect.stringContaining('not a model name') }]);
    });

    it(`a thread note's session ${JSON.stringify(value)} is refused before it reaches --resume`, () => {
      const problem = threadNoteProblem('Threads/helper.md', { tags: ['agent/thread'], agent: 'helper', session: value }, { name: 'helper', mode: 'single-threaded' });
      expect(problem).toContain('is not a Claude Code session id');
    });
  }

  it('tool names, permission rules, MCP names and model ids users write are accepted', () => {
    const d = definition({
      tools: ['Read', 'WebSearch', 'Bash(git log:*)', 'mcp__github__*', 'mcp__my-server__search', 'default'],
      disallowed_tools: ['Edit(/secret/**)', 'WebFetch(domain:example.com)', 'Bash(rm -rf, anything)'],
      model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
    expect(d.tools).toContain('Bash(git log:*)');
    for (const model of ['sonnet', 'opus[1m]', 'claude-sonnet-4-5@20250929', 'arn:aws:bedrock:us-east-1:123:inference-profile/x']) {
      expect(definition({ model }).model).toBe(model);
    }
  });

  it('a comma inside a rule in tools (one comma-joined argument) is refused; in disallowed_tools it is fine', () => {
    const result = parseDefinition('Agents/helper.md', { tools: ['Bash(a,b)'] }, '', VAULT);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ field: 'tools', message: expect.stringContaining('has a comma') });
  });

  it('free text that reaches argv (the body, the message, a description in the directory) never stands as an option', () => {
    for (const value of HOSTILE) {
      const agent = definition({ workspace: value.replace(/[{}"[\]:]/g, '') }, value);
      const args = argvFor(agent, value);
      expect(optionsSeen(args)).not.toContain('--settings');
      expect(args.at(-1)).toContain(value);
    }
  });

  it('even a value that slipped past the grammar stays attached to its flag', () => {
    // The definition's checks are one lock; how the runner passes values is the other.
    const agent = { ...definition({}), model: '--settings={}', tools: ['--settings={}'], disallowedTools: ['--settings={}'] };
    const args = argvFor(agent, 'hi', '--settings={}');
    const seen = optionsSeen(args);
    expect(seen).toContain('--resume');
    expect(seen).not.toContain('--settings');
  });

  it('every flag Scriptorium passes is one this test knows (a new one must be added here, and tried)', () => {
    const agent = definition({ model: 'sonnet', disallowed_tools: ['WebFetch'], workspace: 'Projects' });
    const args = argvFor(agent, 'hi', '3ad0f118-5a50-4b42-8ec8-d78b6e6b31ea');
    expect(new Set(optionsSeen(args))).toEqual(
      new Set(['-p', '--output-format', '--verbose', '--resume', '--system-prompt-snapshot', '--setting-sources', '--append-system-prompt', '--model', '--permission-mode', '--tools', '--allowedTools', '--disallowedTools', '--add-dir', '--mcp-config', '--strict-mcp-config', '--max-turns', '--max-budget-usd']),
    );
  });
});
