import type { DaemonConfig } from '../config/operator-config.ts';
import { readSecrets, readSecretsFile, SecretsError } from '../config/secrets.ts';
import type { Finding } from './findings.ts';

/**
 * The MCP servers and secrets the operator config offers, by name only: where each secret's value comes
 * from, and whether it has one (a secret without a value stops `start`). A value is never shown.
 */
export function describeMcpAndSecrets(config: DaemonConfig, env: NodeJS.ProcessEnv, vault: string): Finding[] {
  const findings: Finding[] = [];
  const servers = Object.entries(config.policy.mcpServers ?? {});
  const offered = (agents: string[] | undefined) => (agents ? `only to ${agents.join(', ')}` : 'to any agent that chooses it');
  findings.push({
    level: 'info',
    message: servers.length === 0 ? 'MCP servers (mcp_servers): none; turns get only Scriptorium\'s own' : `MCP servers (mcp_servers): ${servers.map(([name, s]) => `${name} (${s.entry.type === 'stdio' ? `runs ${String(s.entry.command)}` : String(s.entry.type)}, ${offered(s.agents)})`).join('; ')}`,
  });
  const secrets = Object.entries(config.policy.secrets ?? {});
  if (secrets.length === 0 && config.secretsFile === undefined) {
    findings.push({ level: 'info', message: 'secrets: none; turns get no secret the operator did not name' });
    return findings;
  }
  let fromFile = new Map<string, string>();
  if (config.secretsFile !== undefined) {
    try {
      fromFile = readSecretsFile(config.secretsFile, vault);
    } catch (error) {
      if (!(error instanceof SecretsError)) throw error;
      findings.push({ level: 'fail', file: config.secretsFile, message: `${error.message}. "scriptorium start" refuses to run until it is fixed` });
    }
  }
  const source = (name: string) => (fromFile.has(name) ? 'from secrets_file' : env[name] ? 'from the environment' : 'NO VALUE');
  findings.push({ level: 'info', message: `secrets (names only): ${secrets.map(([name, s]) => `${name} (${source(name)}, ${offered(s.agents)})`).join('; ') || 'none'}` });
  try {
    readSecrets(Object.fromEntries(secrets), undefined, { ...env, ...Object.fromEntries(fromFile) }, vault);
  } catch (error) {
    if (!(error instanceof SecretsError)) throw error;
    findings.push({ level: 'fail', message: `${error.message}. "scriptorium start" refuses to run until it is fixed` });
  }
  return findings;
}
