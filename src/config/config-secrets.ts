import type { Redactor } from '../util/redact.ts';
import { urlSecrets } from '../notify/webhook.ts';
import type { DaemonConfig } from './operator-config.ts';
import { inlineValues } from './mcp-servers.ts';

/**
 * The secrets the operator config holds, told to the redactor once the config is loaded: the HTTP API's
 * token, whatever in an allowed notify URL prefix may be a token, and tokens written straight into an MCP
 * server's env or headers. (The values of `secrets` are read, and told, when the daemon starts.) From then on none of them reaches a
 * note, its name, a log line, `.scriptorium/`, the API's answers or `doctor`'s report.
 */
export function addConfigSecrets(redact: Redactor, config: Pick<DaemonConfig, 'api' | 'policy'>): void {
  if (config.api) redact.add('api_token', config.api.token);
  for (const prefix of config.policy.allowedNotifyUrls ?? []) addUrlSecrets(redact, prefix);
  for (const { name, value } of inlineValues(config.policy.mcpServers ?? {})) redact.add(name, value);
}

/** A `notify:` URL's tokens (query, userinfo, long path segments), as soon as the daemon reads the URL. */
export function addUrlSecrets(redact: Redactor, url: string): void {
  for (const secret of urlSecrets(url)) redact.add('notify_url', secret);
}
