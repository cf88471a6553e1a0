import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { parseDefinition, type AgentDefinition } from '../../../src/agents/definition.ts';
import { checkPolicy, SAFE_POLICY, type OperatorPolicy } from '../../../src/agents/policy.ts';
import type { FrontmatterData } from '../../../src/vault/frontmatter.ts';
import type { McpServerConfig } from '../../../src/config/mcp-servers.ts';

const VAULT = path.resolve('/vault');
const GITHUB: McpServerConfig = { entry: { type: 'stdio', command: 'github-mcp', env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_TOKEN}' } }, agents: undefined, references: ['GITHUB_TOKEN'] };
const ALLOW_ALL: OperatorPolicy = { allowBypassPermissions: true, allowShell: true, allowWorkspaceOutsideVault: true };

function def(data: FrontmatterData): AgentDefinition {
  const result = parseDefinition('Agents/x.md', data, '', VAULT);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

describe('checkPolicy with the safe policy', () => {
  it('the safe policy allows nothing that widens an agent', () => {
    expect(SAFE_POLICY).toEqual({ allowBypassPermissions: false, allowShell: false, allowWorkspaceOutsideVault: false });
  });

  it('a default definition is within policy', () => {
    expect(checkPolicy(def({}), SAFE_POLICY, VAULT)).toEqual([]);
  });

  it('refuses bypassPermissions and says which setting allows it', () => {
    expect(checkPolicy(def({ permission_mode: 'bypassPermissions' }), SAFE_POLICY, VAULT)).toEqual([
      {
        field: 'permission_mode',
        message:
          'bypassPermissions is refused: the operator has not allowed it on this machine (allow_bypass_permissions in the Scriptorium config)',
      },
    ]);
  });

  it('refuses the Bash tool, in any case and with a pattern, naming each refused tool', () => {
    expect(checkPolicy(def({ tools: ['Read', 'Bash(git *)', 'bash', 'PowerShell'] }), SAFE_POLICY, VAULT)).toEqual([
      {
        field: 'tools',
        message: 'Bash(git *), bash, PowerShell is refused: shell access needs allow_shell in the Scriptorium config on this machine',
      },
    ]);
  });

  it('refuses Bash given as a comma-separated string', () => {
    expect(checkPolicy(def({ tools: 'Read, Bash' }), SAFE_POLICY, VAULT).map((p) => p.field)).toEqual(['tools']);
  });

  it('a tool that only mentions Bash in its name (BashOutput) or forbids it is not shell access', () => {
    expect(checkPolicy(def({ tools: ['Read', 'BashOutput'], disallowed_tools: ['Bash'] }), SAFE_POLICY, VAULT)).toEqual([]);
  });

  it('refuses a workspace outside the vault, naming the folder', () => {
    const elsewhere = path.resolve('/elsewhere');
    expect(checkPolicy(def({ workspace: elsewhere }), SAFE_POLICY, VAULT)).toEqual([
      {
        field: 'workspace',
        message: `${elsewhere} is outside the vault: that needs the folder in allowed_workspaces (or allow_workspace_outside_vault) in the Scriptorium config on this machine`,
      },
    ]);
  });

  it('refuses a relative workspace that climbs out of the vault', () => {
    expect(checkPolicy(def({ workspace: '../sibling' }), SAFE_POLICY, VAULT).map((p) => p.field)).toEqual(['workspace']);
  });

  it('allows a workspace inside the vault', () => {
    expect(checkPolicy(def({ workspace: 'Projects/app' }), SAFE_POLICY, VAULT)).toEqual([]);
  });

  it('allows a workspace folder inside the vault whose name starts with two dots', () => {
    expect(checkPolicy(def({ workspace: '..cache' }), SAFE_POLICY, VAULT)).toEqual([]);
  });

  it('reports every refused widening at once', () => {
    const found = checkPolicy(def({ permission_mode: 'bypassPermissions', tools: ['Bash'], workspace: '/elsewhere' }), SAFE_POLICY, VAULT);
    expect(found.map((p) => p.field)).toEqual(['permission_mode', 'tools', 'workspace']);
  });
});

describe('checkPolicy when the operator allows it', () => {
  it('allows all three when the policy allows them', () => {
    expect(checkPolicy(def({ permission_mode: 'bypassPermissions', tools: ['Bash'], workspace: '/elsewhere' }), ALLOW_ALL, VAULT)).toEqual([]);
  });

  it('each permission only lifts its own refusal', () => {
    const d = def({ permission_mode: 'bypassPermissions', tools: ['Bash'], workspace: '/elsewhere' });
    expect(checkPolicy(d, { ...SAFE_POLICY, allowShell: true }, VAULT).map((p) => p.field)).toEqual(['permission_mode', 'workspace']);
    expect(checkPolicy(d, { ...SAFE_POLICY, allowBypassPermissions: true }, VAULT).map((p) => p.field)).toEqual(['tools', 'workspace']);
    expect(checkPolicy(d, { ...SAFE_POLICY, allowWorkspaceOutsideVault: true }, VAULT).map((p) => p.field)).toEqual([
      'permission_mode',
      'tools',
    ]);
  });
});

describe('checkPolicy with the operator\'s allowlists', () => {
  it('a mode not listed is refused, naming the list; a listed bypassPermissions still needs nothing else', () => {
    const policy: OperatorPolicy = { ...SAFE_POLICY, allowedPermissionModes: ['acceptEdits', 'plan'] };
    expect(checkPolicy(def({ permission_mode: 'plan' }), policy, VAULT)).toEqual([]);
    expect(checkPolicy(def({ permission_mode: 'default' }), policy, VAULT)).toEqual([
      { field: 'permission_mode', message: 'default is not among the modes the operator allows on this machine (allowed_permission_modes: acceptEdits, plan)' },
    ]);
  });

  it('tools outside allowed_tools are refused by name; patterns and wildcards match the tool', () => {
    const policy: OperatorPolicy = { ...SAFE_POLICY, allowedTools: ['Read', 'Grep', 'Glob', 'WebFetch', 'mcp__github__*'], mcpServers: { github: GITHUB } };
    expect(checkPolicy(def({ tools: ['Read', 'WebFetch(domain:example.com)', 'mcp__github__search'], mcp: ['github'] }), policy, VAULT)).toEqual([]);
    expect(checkPolicy(def({ tools: ['Read', 'Write', 'mcp__gitlab__x'] }), policy, VAULT)).toEqual([
      { field: 'tools', message: 'Write, mcp__gitlab__x is not among the tools the operator allows on this machine (allowed_tools: Read, Grep, Glob, WebFetch, mcp__github__*)' },
      { field: 'tools', message: 'the tools of gitlab (mcp__gitlab__x) need the server itself: no MCP server gitlab is configured on this machine (mcp_servers in the Scriptorium config: github)' },
    ]);
    // The default tools count as asked for: a read-only machine refuses a default definition, saying why.
    expect(checkPolicy(def({}), policy, VAULT).map((p) => p.field)).toEqual(['tools']);
  });

  it('listing a shell tool does not replace allow_shell', () => {
    const policy: OperatorPolicy = { ...SAFE_POLICY, allowedTools: ['Bash'] };
    expect(checkPolicy(def({ tools: ['Bash'] }), policy, VAULT).map((p) => p.field)).toEqual(['tools']);
    expect(checkPolicy(def({ tools: ['Bash'] }), { ...policy, allowShell: true }, VAULT)).toEqual([]);
  });

  it('a workspace outside the vault is allowed inside an allowed folder only', () => {
    const policy: OperatorPolicy = { ...SAFE_POLICY, allowedWorkspaces: [path.resolve('/srv/code')] };
    expect(checkPolicy(def({ workspace: '/srv/code/app' }), policy, VAULT)).toEqual([]);
    expect(checkPolicy(def({ workspace: '/srv/code' }), policy, VAULT)).toEqual([]);
    expect(checkPolicy(def({ workspace: '/srv/code-other' }), policy, VAULT).map((p) => p.field)).toEqual(['workspace']);
    expect(checkPolicy(def({ workspace: '/srv/code/../secrets' }), policy, VAULT).map((p) => p.field)).toEqual(['workspace']);
  });

  it('notify is refused unless the address starts with an allowed prefix; the refusal never repeats a token', () => {
    const policy: OperatorPolicy = { ...SAFE_POLICY, allowedNotifyUrls: ['https://hooks.example.com/scriptorium/'] };
    expect(checkPolicy(def({ notify: 'https://hooks.example.com/scriptorium/abc?token=1' }), policy, VAULT)).toEqual([]);
    const refused = checkPolicy(def({ notify: 'https://evil.example.com/x?token=supersecret' }), policy, VAULT);
    expect(refused.map((p) => p.field)).toEqual(['notify']);
    expect(refused[0]!.message).not.toContain('supersecret');
    expect(checkPolicy(def({ notify: 'https://hooks.example.com/other' }), policy, VAULT).map((p) => p.field)).toEqual(['notify']);
    expect(checkPolicy(def({ notify: 'https://hooks.example.com/scriptorium/' }), SAFE_POLICY, VAULT).map((p) => p.field)).toEqual(['notify']);
  });
});

describe('checkPolicy: MCP servers (mcp:) and secrets (env:) come from the operator config only', () => {
  const policy: OperatorPolicy = {
    ...SAFE_POLICY,
    mcpServers: { github: GITHUB, files: { entry: { type: 'stdio', command: 'files-mcp' }, agents: ['other'], references: [] } },
    secrets: { GITHUB_TOKEN: { agents: undefined }, DB_PASSWORD: { agents: ['other'] } },
  };

  it('a configured server with the secrets it uses is allowed, with its tools', () => {
    expect(checkPolicy(def({ mcp: ['github'], env: ['GITHUB_TOKEN'], tools: ['Read', 'mcp__github__*'] }), policy, VAULT)).toEqual([]);
  });

  it('a server or secret the operator did not configure is refused by name, listing what is configured', () => {
    expect(checkPolicy(def({ mcp: ['slack'], env: ['AWS_SECRET'] }), policy, VAULT)).toEqual([
      { field: 'mcp', message: 'slack is not an MCP server the operator configured on this machine (mcp_servers in the Scriptorium config: github, files)' },
      { field: 'env', message: 'AWS_SECRET is not a secret the operator configured on this machine (secrets in the Scriptorium config: GITHUB_TOKEN, DB_PASSWORD)' },
    ]);
    // With nothing configured, nothing can be chosen.
    expect(checkPolicy(def({ mcp: ['github'], env: ['GITHUB_TOKEN'] }), SAFE_POLICY, VAULT).map((p) => p.field)).toEqual(['mcp', 'env']);
  });

  it('a server or secret offered to other agents only is refused to this one', () => {
    expect(checkPolicy(def({ mcp: ['files'], env: ['DB_PASSWORD'] }), policy, VAULT)).toEqual([
      { field: 'mcp', message: 'the operator offers files only to other (mcp_servers.files.agents in the Scriptorium config)' },
      { field: 'env', message: 'the operator offers DB_PASSWORD only to other (secrets in the Scriptorium config)' },
    ]);
  });

  it('a server whose config uses a secret needs that secret chosen too', () => {
    expect(checkPolicy(def({ mcp: ['github'] }), policy, VAULT)).toEqual([
      { field: 'env', message: 'github uses the secret GITHUB_TOKEN (${GITHUB_TOKEN} in its config): add GITHUB_TOKEN to env' },
    ]);
  });

  it('tools of a server the agent does not get are a problem, not a silent no-op; Scriptorium\'s own tools need nothing', () => {
    expect(checkPolicy(def({ tools: ['mcp__github__search'] }), policy, VAULT)).toEqual([
      { field: 'tools', message: 'the tools of github (mcp__github__search) need the server itself: add mcp: [github]' },
    ]);
    expect(checkPolicy(def({ tools: ['mcp__scriptorium__delegate'] }), policy, VAULT)).toEqual([]);
    expect(checkPolicy(def({ mcp: ['scriptorium'] }), policy, VAULT).map((p) => p.field)).toEqual(['mcp']);
  });
});
