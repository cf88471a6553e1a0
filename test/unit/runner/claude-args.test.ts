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
  settingSources: ['user'],
  ...over,
});

/**
 * The value of a flag: attached (`--model=x`), or the argument after it for the flags Scriptorium sets
 * itself. Undefined when the flag is absent.
 */
const valueOf = (args: string[], flag: string) => {
  const attached = args.find((a) => a.startsWith(`${flag}=`));
  if (attached !== undefined) return attached.slice(flag.length + 1);
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
};

/** Every value a repeated flag carries, in order. */
const valuesOf = (args: string[], flag: string) => args.filter((a) => a.startsWith(`${flag}=`)).map((a) => a.slice(flag.length + 1));

/** Whether the flag is given at all, in either form. */
const has = (args: string[], flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));

describe('claudeArgs', () => {
  it('a new session uses --session-id and never --resume', () => {
    const args = claudeArgs(request({ resume: false }));
    expect(valueOf(args, '--session-id')).toBe(SESSION);
    expect(has(args, '--resume')).toBe(false);
  });

  it('a resumed session uses --resume and never --session-id', () => {
    const args = claudeArgs(request({ resume: true }));
    expect(valueOf(args, '--resume')).toBe(SESSION);
    expect(has(args, '--session-id')).toBe(false);
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
    expect(has(claudeArgs(request({ systemPrompt: '' })), '--append-system-prompt')).toBe(false);
  });

  it('passes a model only when the agent names one', () => {
    expect(has(claudeArgs(request()), '--model')).toBe(false);
    expect(valueOf(claudeArgs(request({ model: 'sonnet' })), '--model')).toBe('sonnet');
  });

  it('leaves out empty allowed, disallowed and add-dir lists', () => {
    const args = claudeArgs(request({ allowedTools: [], disallowedTools: [], addDirs: [] }));
    expect(has(args, '--allowedTools')).toBe(false);
    expect(has(args, '--disallowedTools')).toBe(false);
    expect(has(args, '--add-dir')).toBe(false);
  });

  it('passes each allowed, disallowed tool and extra directory as its own argument, attached to its flag', () => {
    const args = claudeArgs(request({ allowedTools: ['Read', 'Grep'], disallowedTools: ['Write(HALT.md)', 'Edit(.obsidian/**)'], addDirs: ['/a b', '/c'] }));
    expect(valuesOf(args, '--allowedTools')).toEqual(['Read', 'Grep']);
    expect(valuesOf(args, '--disallowedTools')).toEqual(['Write(HALT.md)', 'Edit(.obsidian/**)']);
    expect(valuesOf(args, '--add-dir')).toEqual(['/a b', '/c']);
  });

  it('loads only the setting sources the operator chose, the user settings by default', () => {
    expect(valueOf(claudeArgs(request()), '--setting-sources')).toBe('user');
    expect(valueOf(claudeArgs(request({ settingSources: ['user', 'project'] })), '--setting-sources')).toBe('user,project');
    expect(valueOf(claudeArgs(request({ settingSources: [] })), '--setting-sources')).toBe('');
  });

  it('no value from a note stands alone, so none is read as an option, whatever it starts with', () => {
    const hostile = '--settings={"hooks":{}}';
    const args = claudeArgs(
      request({
        resume: true,
        sessionId: hostile,
        systemPrompt: hostile,
        model: hostile,
        tools: [hostile],
        allowedTools: [hostile],
        disallowedTools: [hostile],
        addDirs: [hostile],
        mcpConfig: hostile,
        prompt: hostile,
      }),
    );
    const beforePrompt = args.slice(0, args.indexOf('--'));
    // Every argument before `--` is a flag of ours; the hostile text appears only after a flag's `=`.
    for (const arg of beforePrompt) expect(arg.startsWith('--settings')).toBe(false);
    expect(beforePrompt.filter((a) => a.includes(hostile)).every((a) => /^--[a-zA-Z-]+=/.test(a) && !a.startsWith(hostile))).toBe(true);
    expect(beforePrompt.filter((a) => a.includes(hostile))).toHaveLength(8);
    expect(args.at(-1)).toBe(hostile);
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
  it('drops the edit and read tools, which work without asking inside the working directories only', () => {
    expect(preApproved(['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Glob', 'Grep', 'WebSearch'])).toEqual(['WebSearch']);
  });

  it('drops a read tool with a pattern too: an allow rule would reach files outside the folders', () => {
    expect(preApproved(['Read(//etc/**)', 'Grep(/**)', 'WebFetch(domain:example.com)'])).toEqual(['WebFetch(domain:example.com)']);
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
