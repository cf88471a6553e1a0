import { describe, it, expect } from 'vitest';
import { claudeArgs, preApproved, scrubEnv } from '../../../src/runner/claude-args.ts';
import type { TurnRequest } from '../../../src/runner/types.ts';

const SESSION = '3ad0f118-5a50-4b42-8ec8-d78b6e6b31ea';

const request = (over: Partial<TurnRequest> = {}): TurnRequest => ({
  agent: 'researcher',
  prompt: 'What changed?',
  systemPrompt: 'You research.',
  sessionId: SESSION,
  resume: false,
  cwd: '/vault',
  model: undefined,
  tools: ['Read', 'Write'],
  allowedTools: ['Read'],
  disallowedTools: [],
  permissionMode: 'acceptEdits',
  maxTurns: 40,
  maxBudgetUsd: 1,
  timeoutMs: 900_000,
  addDirs: [],
  ...over,
});

/** The value right after a flag, or undefined when the flag is absent. */
const valueOf = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
};

describe('claudeArgs', () => {
  it('a new session uses --session-id and never --resume', () => {
    const args = claudeArgs(request({ resume: false }));
    expect(valueOf(args, '--session-id')).toBe(SESSION);
    expect(args).not.toContain('--resume');
  });

  it('a resumed session uses --resume and never --session-id', () => {
    const args = claudeArgs(request({ resume: true }));
    expect(valueOf(args, '--resume')).toBe(SESSION);
    expect(args).not.toContain('--session-id');
  });

  it('always turns the system prompt snapshot off, so edits of the agent note reach resumed sessions', () => {
    for (const resume of [false, true]) expect(valueOf(claudeArgs(request({ resume })), '--system-prompt-snapshot')).toBe('off');
  });

  it('asks for stream-json with --verbose (the CLI refuses stream-json without it)', () => {
    const args = claudeArgs(request());
    expect(args.slice(0, 4)).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
  });

  it('puts the prompt last, after --, so a prompt starting with "-" is never an option', () => {
    const args = claudeArgs(request({ prompt: '--dangerously-skip-permissions please' }));
    expect(args.slice(-2)).toEqual(['--', '--dangerously-skip-permissions please']);
    expect(args.filter((a) => a === '--')).toHaveLength(1);
  });

  it('leaves the prompt out when it goes through stdin', () => {
    const args = claudeArgs(request({ prompt: 'secret prompt' }), true);
    expect(args).not.toContain('--');
    expect(args).not.toContain('secret prompt');
  });

  it('passes the limits, the permission mode and the tools', () => {
    const args = claudeArgs(request({ maxTurns: 5, maxBudgetUsd: 0.25, permissionMode: 'plan', tools: ['Read', 'Grep', 'Write'] }));
    expect(valueOf(args, '--max-turns')).toBe('5');
    expect(valueOf(args, '--max-budget-usd')).toBe('0.25');
    expect(valueOf(args, '--permission-mode')).toBe('plan');
    expect(valueOf(args, '--tools')).toBe('Read,Grep,Write');
  });

  it('passes an empty --tools for an agent with no tools', () => {
    expect(valueOf(claudeArgs(request({ tools: [] })), '--tools')).toBe('');
  });

  it('appends the agent note body to the system prompt, and leaves the flag out when empty', () => {
    expect(valueOf(claudeArgs(request()), '--append-system-prompt')).toBe('You research.');
    expect(claudeArgs(request({ systemPrompt: '' }))).not.toContain('--append-system-prompt');
  });

  it('passes a model only when the agent names one', () => {
    expect(claudeArgs(request())).not.toContain('--model');
    expect(valueOf(claudeArgs(request({ model: 'sonnet' })), '--model')).toBe('sonnet');
  });

  it('leaves out empty allowed, disallowed and add-dir lists', () => {
    const args = claudeArgs(request({ allowedTools: [], disallowedTools: [], addDirs: [] }));
    expect(args).not.toContain('--allowedTools');
    expect(args).not.toContain('--disallowedTools');
    expect(args).not.toContain('--add-dir');
  });

  it('passes each allowed, disallowed tool and extra directory as its own argument', () => {
    const args = claudeArgs(request({ allowedTools: ['Read', 'Grep'], disallowedTools: ['Write(HALT.md)', 'Edit(.obsidian/**)'], addDirs: ['/a b', '/c'] }));
    expect(args.slice(args.indexOf('--allowedTools'), args.indexOf('--allowedTools') + 3)).toEqual(['--allowedTools', 'Read', 'Grep']);
    expect(args.slice(args.indexOf('--disallowedTools'), args.indexOf('--disallowedTools') + 3)).toEqual([
      '--disallowedTools',
      'Write(HALT.md)',
      'Edit(.obsidian/**)',
    ]);
    expect(args.slice(args.indexOf('--add-dir'), args.indexOf('--add-dir') + 3)).toEqual(['--add-dir', '/a b', '/c']);
  });

  it('variadic lists are followed by another flag, so the prompt is never read as a tool name', () => {
    const args = claudeArgs(request({ allowedTools: ['Read'], disallowedTools: ['Bash'], addDirs: ['/x'] }));
    const dashDash = args.indexOf('--');
    expect(args[dashDash - 2]).toBe('--max-budget-usd');
  });
});

describe('scrubEnv', () => {
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/alice',
    ANTHROPIC_API_KEY: 'sk-ant-x',
    CLAUDECODE: '1',
    CLAUDE_CODE_ENTRYPOINT: 'cli',
    CLAUDE_CODE_SSE_PORT: '12345',
    CLAUDE_CODE_USE_BEDROCK: '1',
    CLAUDE_CODE_USE_VERTEX: '1',
    CLAUDE_CODE_OAUTH_TOKEN: 'tok',
    CLAUDE_CODE_MAX_RETRIES: '2',
    UNDEFINED_ONE: undefined,
  };

  it('removes what a parent Claude Code session leaves behind', () => {
    const out = scrubEnv(env);
    expect(out).not.toHaveProperty('CLAUDECODE');
    expect(out).not.toHaveProperty('CLAUDE_CODE_ENTRYPOINT');
    expect(out).not.toHaveProperty('CLAUDE_CODE_SSE_PORT');
  });

  it("keeps the operator's provider and credential choices, and everything else", () => {
    expect(scrubEnv(env)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/alice',
      ANTHROPIC_API_KEY: 'sk-ant-x',
      CLAUDE_CODE_USE_BEDROCK: '1',
      CLAUDE_CODE_USE_VERTEX: '1',
      CLAUDE_CODE_OAUTH_TOKEN: 'tok',
      CLAUDE_CODE_MAX_RETRIES: '2',
    });
  });

  it('does not change the environment it was given', () => {
    const copy = { ...env };
    scrubEnv(env);
    expect(env).toEqual(copy);
  });
});

describe('preApproved', () => {
  it('drops the edit tools, which the permission mode approves inside the working directories only', () => {
    expect(preApproved(['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Glob', 'Grep', 'WebSearch'])).toEqual(['Read', 'Glob', 'Grep', 'WebSearch']);
  });

  it('keeps tool patterns', () => {
    expect(preApproved(['Bash(git status)', 'Write'])).toEqual(['Bash(git status)']);
  });
});

describe('bytes an argument cannot carry', () => {
  it('NUL bytes from a note are dropped from every argument (spawn would refuse the whole call)', () => {
    const args = claudeArgs(request({ prompt: 'a\u0000b', systemPrompt: 'x\u0000y' }));
    expect(args.every((a) => !a.includes('\u0000'))).toBe(true);
    expect(args.at(-1)).toBe('ab');
  });
});
