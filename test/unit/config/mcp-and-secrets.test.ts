import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/operator-config.ts';
import { addConfigSecrets } from '../../../src/config/config-secrets.ts';
import { readSecrets, SecretsError } from '../../../src/config/secrets.ts';
import { createRedactor } from '../../../src/util/redact.ts';

let dir: string;
let file: string;
let vault: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-mcp-config-'));
  file = path.join(dir, 'config.yaml');
  vault = path.join(dir, 'vault');
  await mkdir(vault);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = async (yaml: string) => {
  await writeFile(file, yaml);
  return loadConfig(file);
};

const errorOf = async (yaml: string): Promise<string> => {
  try {
    await load(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.replace(`${file}: `, '');
  }
  throw new Error('expected a ConfigError');
};

describe('mcp_servers in the operator config', () => {
  it('takes Claude Code\'s mcpServers shape; agents is taken out, the ${NAME}s it uses are known', async () => {
    const config = await load(`
mcp_servers:
  github:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-github"]
    env: { GITHUB_PERSONAL_ACCESS_TOKEN: "\${GITHUB_TOKEN}" }
    agents: [Researcher]
  docs:
    type: http
    url: https://mcp.example.com/mcp
    headers: { Authorization: "Bearer \${DOCS_KEY:-none}" }
    timeout: 600000
`);
    expect(config.policy.mcpServers).toEqual({
      github: {
        entry: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_TOKEN}' } },
        agents: ['researcher'],
        references: ['GITHUB_TOKEN'],
      },
      docs: { entry: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${DOCS_KEY:-none}' }, timeout: 600000 }, agents: undefined, references: ['DOCS_KEY'] },
    });
  });

  it('a broken entry is named by server and key', async () => {
    expect(await errorOf('mcp_servers: [github]')).toMatch(/^mcp_servers: expected a map of server names/);
    expect(await errorOf('mcp_servers:\n  github: { args: [a] }')).toBe('mcp_servers: github: a stdio server needs command');
    expect(await errorOf('mcp_servers:\n  github: { command: x, args: "a b" }')).toBe('mcp_servers: github.args: expected a list of text');
    expect(await errorOf('mcp_servers:\n  docs: { url: "https://x" }')).toBe('mcp_servers: docs: a server with url needs type: http or type: sse');
    expect(await errorOf('mcp_servers:\n  github: { command: x, env: { A: 1 } }')).toBe('mcp_servers: github.env: expected a map of names to text');
    expect(await errorOf('mcp_servers:\n  scriptorium: { command: x }')).toBe("mcp_servers: scriptorium: the name is Scriptorium's own server's; choose another");
    expect(await errorOf('mcp_servers:\n  "a b": { command: x }')).toBe('mcp_servers: "a b": a server name is letters, digits, "-" and "_"');
  });

  it('a token pasted into an env or header value is redacted; ordinary values and references are not', async () => {
    const config = await load(`
mcp_servers:
  github:
    command: npx
    env: { GITHUB_TOKEN: ghx_pasted_token_value_1234, NODE_ENV: production, OTHER_KEY: "\${FROM_ENV}" }
    headers: { Authorization: "Bearer pasted-bearer-value-5678" }
`);
    const redact = createRedactor({});
    addConfigSecrets(redact, config);
    expect(redact('a ghx_pasted_token_value_1234 b pasted-bearer-value-5678 production ${FROM_ENV}')).toBe(
      'a [redacted mcp_servers.github.env.GITHUB_TOKEN] b [redacted mcp_servers.github.headers.Authorization] production ${FROM_ENV}',
    );
  });
});

describe('secrets and secrets_file', () => {
  it('names, or entries with the agents that may choose them; secrets_file must be absolute', async () => {
    const config = await load('secrets: [GITHUB_TOKEN, { name: DB_PASSWORD, agents: [Reporter] }]\nsecrets_file: ~/.config/scriptorium/secrets.env');
    expect(config.policy.secrets).toEqual({ GITHUB_TOKEN: { agents: undefined }, DB_PASSWORD: { agents: ['reporter'] } });
    expect(config.secretsFile).toBe(path.join(os.homedir(), '.config/scriptorium/secrets.env'));
    expect(await errorOf('secrets: [ghp_notaname=1]')).toMatch(/^secrets: "ghp_notaname=1": expected an environment variable name/);
    expect(await errorOf('secrets_file: secrets.env')).toMatch(/^secrets_file expected an absolute path/);
  });

  it('values come from the file first, then the environment; a missing value is named, never a value', async () => {
    const secretsFile = path.join(dir, 'secrets.env');
    await writeFile(secretsFile, '# tokens\nexport GITHUB_TOKEN="from-file-value"\n\nDB_PASSWORD=from-file-password\n');
    const values = readSecrets({ GITHUB_TOKEN: { agents: undefined }, API_SECRET: { agents: undefined } }, secretsFile, { API_SECRET: 'from-env-value', GITHUB_TOKEN: 'env-loses' }, vault);
    expect([...values]).toEqual([['GITHUB_TOKEN', 'from-file-value'], ['API_SECRET', 'from-env-value']]);
    expect(() => readSecrets({ NOPE_TOKEN: { agents: undefined } }, secretsFile, {}, vault)).toThrow(
      new SecretsError(`secrets: NOPE_TOKEN has no value: set it in the environment "scriptorium start" runs in or in ${secretsFile}`),
    );
  });

  it('a secrets file inside the vault (or led there by a link) is refused; a bad line is named by number only', async () => {
    const inside = path.join(vault, 'secrets.env');
    await writeFile(inside, 'A_TOKEN=x\n');
    expect(() => readSecrets({}, inside, {}, vault)).toThrow(/secrets_file: .* is inside the vault/);
    const bad = path.join(dir, 'bad.env');
    await writeFile(bad, 'A_TOKEN=fine\nthis-line-holds-a-secret-value-9999\n');
    let message = '';
    try {
      readSecrets({}, bad, {}, vault);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`secrets_file: ${bad} line 2 is not NAME=value`);
    expect(() => readSecrets({}, path.join(dir, 'missing.env'), {}, vault)).toThrow(/cannot be read \(ENOENT\)/);
  });
});
