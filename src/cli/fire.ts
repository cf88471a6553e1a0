import { parseArgs } from 'node:util';
import { DEFAULTS, parseDefinition } from '../agents/definition.ts';
import { readStatus } from '../state/status-file.ts';
import { inboundBaseName, newInboundNote } from '../messages/new-message.ts';
import { isoLocal } from '../util/clock.ts';
import { parseFrontmatter } from '../vault/frontmatter.ts';
import { NoteStore } from '../vault/note-store.ts';
import { out, UsageError } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const FIRE_HELP = `scriptorium fire <agent> [--vault DIR]

Run an agent's scheduled task now: writes the message its schedule would write (from: scheduler).`;

export async function fireCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { vault: { type: 'string' } } });
  const agent = positionals[0]?.toLowerCase();
  if (!agent) throw new UsageError('fire needs an agent: scriptorium fire digest');
  const vault = resolveVault(values.vault);
  const store = new NoteStore(vault);
  const status = await readStatus(vault);
  const definitionPath = status?.agents.find((a) => a.name === agent)?.path || `Agents/${agent}.md`;
  const raw = await store.readIfExists(definitionPath);
  if (raw === null) throw new UsageError(`no agent definition for "${agent}" (looked at ${definitionPath})`);
  const { data, body } = parseFrontmatter(raw);
  const result = parseDefinition(definitionPath, data, body, vault);
  if (!result.ok) throw new UsageError(`${definitionPath} is invalid: ${result.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  const d = result.definition;
  const entry = d.schedules[0];
  const at = new Date();
  const message = { to: d.name, from: 'scheduler', body: entry?.task ?? d.task ?? DEFAULTS.task, at };
  const { dir, base } = inboundBaseName(message);
  const path = await store.create(dir, base, newInboundNote(message, { ...(entry ? { schedule: entry.cron } : {}), scheduled_for: isoLocal(at), fired_by_hand: true }));
  out(path);
  return 0;
}
