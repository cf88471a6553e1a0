import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { DEFAULTS, parseDefinition, parseDuration, type AgentDefinition, type FieldProblem } from '../../../src/agents/definition.ts';
import type { FrontmatterData } from '../../../src/vault/frontmatter.ts';

const VAULT = path.resolve('/vault');

function ok(data: FrontmatterData, body = '', file = 'Agents/researcher.md'): AgentDefinition {
  const result = parseDefinition(file, data, body, VAULT);
  if (!result.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(result.problems)}`);
  return result.definition;
}

function problems(data: FrontmatterData, file = 'Agents/researcher.md'): FieldProblem[] {
  const result = parseDefinition(file, data, '', VAULT);
  if (result.ok) throw new Error('expected problems, the definition was valid');
  return result.problems;
}

describe('parseDefinition defaults', () => {
  it('a definition with no fields gets the documented defaults', () => {
    const d = ok({}, '\n  You research things.\n');
    expect(d).toEqual({
      name: 'researcher',
      path: 'Agents/researcher.md',
      description: undefined,
      model: undefined,
      mode: 'single-threaded',
      tools: ['Read', 'Write', 'Edit', 'Glob', 'Grep'],
      disallowedTools: [],
      permissionMode: 'acceptEdits',
      workspace: VAULT,
      maxTurns: 40,
      maxBudgetUsd: 1,
      timeoutMs: 15 * 60_000,
      dailyBudgetUsd: undefined,
      schedules: [],
      tz: undefined,
      task: undefined,
      catchUp: true,
      enabled: true,
      canMessage: undefined,
      mcp: [],
      env: [],
      prompt: 'You research things.',
    });
  });

  it('mcp and env are lists of names; a value-looking entry is refused, never echoed whole', () => {
    const ok = parseDefinition('Agents/a.md', { mcp: ['github', 'github'], env: 'GITHUB_TOKEN, DB_URL' }, '', VAULT);
    expect(ok.ok && [ok.definition.mcp, ok.definition.env]).toEqual([['github'], ['GITHUB_TOKEN', 'DB_URL']]);
    const bad = parseDefinition('Agents/a.md', { mcp: ['--evil'], env: ['ghp_abc=123'] }, '', VAULT);
    expect(!bad.ok && bad.problems.map((p) => p.field)).toEqual(['mcp', 'env']);
  });

  it('the default scheduled task text is documented', () => {
    expect(DEFAULTS.task).toBe('Run your scheduled task.');
  });

  it('each definition gets its own copy of the default tools', () => {
    const a = ok({});
    a.tools.push('Bash');
    expect(ok({}).tools).toEqual(['Read', 'Write', 'Edit', 'Glob', 'Grep']);
  });

  it('empty fields count as absent', () => {
    const d = ok({ model: '', description: null, max_turns: '', timeout: '', enabled: null, schedule: '' });
    expect(d.model).toBeUndefined();
    expect(d.description).toBeUndefined();
    expect(d.maxTurns).toBe(40);
    expect(d.timeoutMs).toBe(15 * 60_000);
    expect(d.enabled).toBe(true);
    expect(d.schedules).toEqual([]);
  });
});

describe('parseDefinition name', () => {
  it('comes from the file name, slugified', () => {
    expect(ok({}, '', 'Agents/My Researcher!.md').name).toBe('my-researcher');
    expect(ok({}, '', 'Deep/Folder/Café Bot.md').name).toBe('cafe-bot');
  });

  it('a name field wins over the file name', () => {
    expect(ok({ name: 'scout' }, '', 'Agents/Researcher.md').name).toBe('scout');
  });

  it('a name that is not a slug is a problem naming what was found', () => {
    expect(problems({ name: 'Bad Name' })).toEqual([
      { field: 'name', message: 'expected a slug (lower-case letters, digits, "-" or "_"), found "Bad Name"' },
    ]);
    expect(problems({ name: 5 })[0]?.message).toMatch(/found number 5$/);
  });

  it('an invalid definition still reports the name it would have', () => {
    const result = parseDefinition('Agents/Researcher.md', { mode: 'fast' }, '', VAULT);
    expect(result).toMatchObject({ ok: false, name: 'researcher' });
  });
});

describe('parseDefinition field problems', () => {
  it.each<[string, FrontmatterData, string]>([
    ['mode', { mode: 'fast' }, 'expected single-threaded or multi-threaded, found "fast"'],
    ['permission_mode', { permission_mode: 'yolo' }, 'expected one of acceptEdits, auto, bypassPermissions, default, dontAsk, manual, plan, found "yolo"'],
    ['tools', { tools: [1, 2] }, 'expected a list of names, found a list ([1,2])'],
    ['disallowed_tools', { disallowed_tools: { a: 1 } }, 'expected a list of names, found a nested object ({"a":1})'],
    ['can_message', { can_message: 7 }, 'expected a list of names, found number 7'],
    ['description', { description: ['a'] }, 'expected text, found a list (["a"])'],
    ['max_turns', { max_turns: 'many' }, 'expected a whole number above 0, found "many"'],
    ['max_turns', { max_turns: 2.5 }, 'expected a whole number above 0, found number 2.5'],
    ['max_turns', { max_turns: 0 }, 'expected a whole number above 0, found number 0'],
    ['max_budget_usd', { max_budget_usd: -1 }, 'expected a number above 0, found number -1'],
    ['daily_budget_usd', { daily_budget_usd: 0 }, 'expected a number above 0, found number 0'],
    ['timeout', { timeout: 'soon' }, 'expected a duration such as 90s, 10m or 1h, found "soon"'],
    ['tz', { tz: 'Mars/Base' }, 'expected an IANA time zone such as Europe/Paris, found "Mars/Base"'],
    ['schedule', { schedule: [5] }, 'expected a cron expression or a list of them, found number 5'],
    ['schedule', { schedule: [{ task: 'x' }] }, 'expected a cron expression or a list of them, found a nested object ({"task":"x"})'],
    ['catch_up', { catch_up: 'maybe' }, 'expected true or false, found "maybe"'],
    ['enabled', { enabled: 3 }, 'expected true or false, found number 3'],
  ])('a wrong %s names the field, what was expected and what was found', (field, data, message) => {
    expect(problems(data)).toEqual([{ field, message }]);
  });

  it('reports every problem at once, not just the first', () => {
    const found = problems({ name: 'Bad Name', mode: 'fast', max_turns: 'many', timeout: 'soon', tz: 'Nowhere/Land', enabled: 3 });
    expect(found.map((p) => p.field).sort()).toEqual(['enabled', 'max_turns', 'mode', 'name', 'timeout', 'tz']);
  });
});

describe('parseDefinition fields', () => {
  it('reads every field', () => {
    const d = ok(
      {
        description: ' Finds sources ',
        model: 'sonnet',
        mode: 'multi-threaded',
        tools: ['Read', 'WebSearch'],
        disallowed_tools: 'Write, Edit',
        permission_mode: 'plan',
        workspace: 'Projects/app',
        max_turns: 5,
        max_budget_usd: 0.25,
        daily_budget_usd: '3',
        task: 'Summarise the day.',
        can_message: ['writer'],
      },
      'Prompt.',
    );
    expect(d).toMatchObject({
      description: 'Finds sources',
      model: 'sonnet',
      mode: 'multi-threaded',
      tools: ['Read', 'WebSearch'],
      disallowedTools: ['Write', 'Edit'],
      permissionMode: 'plan',
      workspace: path.join(VAULT, 'Projects', 'app'),
      maxTurns: 5,
      maxBudgetUsd: 0.25,
      dailyBudgetUsd: 3,
      task: 'Summarise the day.',
      canMessage: ['writer'],
    });
  });

  it('numbers written as text are accepted', () => {
    const d = ok({ max_turns: '5', max_budget_usd: '0.5' });
    expect([d.maxTurns, d.maxBudgetUsd]).toEqual([5, 0.5]);
  });

  it('tools as a comma-separated string', () => {
    expect(ok({ tools: 'Read, Grep' }).tools).toEqual(['Read', 'Grep']);
  });

  it('an empty tools list means no tools, not the default set', () => {
    expect(ok({ tools: [] }).tools).toEqual([]);
  });

  it('an absolute workspace is kept as written', () => {
    expect(ok({ workspace: path.resolve('/elsewhere') }).workspace).toBe(path.resolve('/elsewhere'));
  });

  it('a model given as a number is read as text', () => {
    expect(ok({ model: 5 }).model).toBe('5');
  });
});

describe('parseDefinition timeout', () => {
  it.each<[unknown, number]>([
    [90, 90_000],
    ['90', 90_000],
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['10M', 600_000],
  ])('timeout %j is %d ms', (timeout, ms) => {
    expect(ok({ timeout }).timeoutMs).toBe(ms);
  });

  it.each<unknown>(['soon', '0', 0, -5, '10m soon', 'm', '1d', true])('timeout %j is a problem', (timeout) => {
    expect(problems({ timeout })[0]?.field).toBe('timeout');
  });

  it('parseDuration gives null for what it cannot read', () => {
    expect(parseDuration(null)).toBeNull();
    expect(parseDuration('')).toBeNull();
    expect(parseDuration(Number.NaN)).toBeNull();
  });
});

describe('parseDefinition tz', () => {
  it('accepts IANA zones and UTC', () => {
    expect(ok({ tz: 'Europe/Paris' }).tz).toBe('Europe/Paris');
    expect(ok({ tz: 'America/New_York' }).tz).toBe('America/New_York');
    expect(ok({ tz: 'UTC' }).tz).toBe('UTC');
  });

  it('refuses a zone that does not exist', () => {
    expect(problems({ tz: 'Europe/Atlantis' })[0]?.field).toBe('tz');
  });
});

describe('parseDefinition schedule', () => {
  it('a single cron string', () => {
    expect(ok({ schedule: ' 0 9 * * * ' }).schedules).toEqual([{ cron: '0 9 * * *', task: undefined }]);
  });

  it('a list of cron strings', () => {
    expect(ok({ schedule: ['0 9 * * *', '0 17 * * 1-5'] }).schedules).toEqual([
      { cron: '0 9 * * *', task: undefined },
      { cron: '0 17 * * 1-5', task: undefined },
    ]);
  });

  it('a list of {cron, task}, each with its own task, and the default task kept apart', () => {
    const d = ok({ schedule: [{ cron: '0 9 * * *', task: 'Morning' }, { cron: '0 17 * * *' }], task: 'Default' });
    expect(d.schedules).toEqual([
      { cron: '0 9 * * *', task: 'Morning' },
      { cron: '0 17 * * *', task: undefined },
    ]);
    expect(d.task).toBe('Default');
  });
});

describe('parseDefinition booleans', () => {
  it.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    ['true', true],
    ['False', false],
    ['yes', true],
    ['YES', true],
    ['no', false],
    ['On', true],
    ['off', false],
  ])('%j reads as %s for enabled and catch_up', (value, expected) => {
    const d = ok({ enabled: value, catch_up: value });
    expect([d.enabled, d.catchUp]).toEqual([expected, expected]);
  });
});
