import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isInside, realPathOf } from '../vault/real-path.ts';
import { expandHome } from '../util/home.ts';

/**
 * A secret the operator hands to agents that choose it (`env: [NAME]` in a definition): its name, and
 * the agents that may choose it. Its value is read when the daemon starts, from the daemon's own
 * environment or from `secrets_file`; it is never in the config's parsed form, a note or a log.
 */
export interface SecretConfig {
  /** Unset: any agent may choose it. */
  agents: string[] | undefined;
}

/** Environment variable names: what `env:` lists and what a turn's process receives. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** `secrets:` read and checked: names (`[GITHUB_TOKEN]`), or entries `{ name: GITHUB_TOKEN, agents: [researcher] }`. */
export function parseSecrets(value: unknown): Record<string, SecretConfig> | string {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(items)) return 'expected a list of environment variable names, or of { name, agents } entries';
  const secrets: Record<string, SecretConfig> = {};
  for (const item of items) {
    const { name, agents } = typeof item === 'string' ? { name: item.trim(), agents: undefined } : ((item ?? {}) as { name?: unknown; agents?: unknown });
    if (typeof name !== 'string' || !ENV_NAME.test(name)) return `${JSON.stringify(name ?? item)}: expected an environment variable name (letters, digits and "_")`;
    if (agents !== undefined && !(Array.isArray(agents) && agents.every((a) => typeof a === 'string' && a.trim() !== ''))) return `${name}.agents: expected a list of agent names`;
    secrets[name] = { agents: (agents as string[] | undefined)?.map((a) => a.trim().toLowerCase()) };
  }
  return secrets;
}

export class SecretsError extends Error {
  override readonly name = 'SecretsError';
}

/**
 * Each secret's value: from `secrets_file` when it has the name, otherwise from the daemon's environment.
 * Throws a SecretsError naming what is wrong, never a value: a listed secret with no value, a file that
 * cannot be read or has a line that is not `NAME=value`, or a file inside the vault (anyone who can write
 * a note could read it, or replace it).
 */
export function readSecrets(secrets: Record<string, SecretConfig>, file: string | undefined, env: NodeJS.ProcessEnv, vaultRoot: string): Map<string, string> {
  const fromFile = file === undefined ? new Map<string, string>() : readSecretsFile(file, vaultRoot);
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of Object.keys(secrets)) {
    const value = fromFile.get(name) ?? env[name];
    if (value === undefined || value === '') missing.push(name);
    else values.set(name, value);
  }
  if (missing.length > 0) {
    throw new SecretsError(`secrets: ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no value: set ${missing.length === 1 ? 'it' : 'them'} in the environment "scriptorium start" runs in${file ? ` or in ${file}` : ', or in a secrets_file'}`);
  }
  return values;
}

/** A dotenv-style file: `NAME=value` lines, `#` comments, an optional `export `, optional quotes around the value. */
export function readSecretsFile(file: string, vaultRoot: string): Map<string, string> {
  const absolute = path.resolve(expandHome(file));
  if (isInside(realPathOf(absolute), realPathOf(vaultRoot))) {
    throw new SecretsError(`secrets_file: ${file} is inside the vault; keep secrets outside it (a synced folder or an agent could read or replace the file)`);
  }
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new SecretsError(`secrets_file: ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const values = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    // The line is not quoted back: it may hold a value.
    if (!match) throw new SecretsError(`secrets_file: ${file} line ${i + 1} is not NAME=value`);
    const raw = match[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    values.set(match[1]!, quoted ? quoted[2]! : raw);
  });
  return values;
}
