import { parseDefinition, type AgentDefinition } from '../agents/definition.ts';
import { checkPolicy } from '../agents/policy.ts';
import { turnWorkspace } from '../agents/workspace.ts';
import { budgetHold, Ledger } from '../state/ledger.ts';
import { readInbound } from '../messages/inbound.ts';
import { nextFire } from '../schedule/cron.ts';
import { isoLocal } from '../util/clock.ts';
import { wikilink } from '../vault/links.ts';
import type { ScannedNote } from '../vault/scan.ts';
import { facts, invalidField, str } from './fields.ts';
import { HALT_FILE, haltReason } from './halt.ts';
import { vaultStop } from './spending.ts';
import type { ExplainContext, Explanation } from './types.ts';
import { agentGrants } from '../agents/mcp-policy.ts';

export function explainDefinition(root: string, note: ScannedNote, ctx: ExplainContext): Explanation {
  const { path, data, body } = note;
  const parsed = parseDefinition(path, data, body, root);
  const name = parsed.ok ? parsed.definition.name : parsed.name;
  const shown = facts(data, ['enabled', 'mode', 'schedule', 'tz', 'next_run', 'daily_budget_usd', 'max_runs_per_hour', 'can_message', 'mcp', 'env', 'error']);
  shown.name = name;
  shown.daemon = ctx.daemon ? `running (pid ${ctx.daemon.pid})` : 'not running';
  const result = (verdict: string, reasons: string[], next?: string): Explanation => ({ note: path, role: 'definition', verdict, reasons, facts: shown, ...(next ? { next } : {}) });
  const problems = ctx.scan.definitionProblems.get(path) ?? [];
  const lookup = ctx.scan.registry.lookup(name);
  const owner = lookup.kind === 'ok' ? lookup.definition.path : lookup.kind === 'invalid' ? lookup.path : null;
  if (owner !== null && owner !== path) {
    return result(`not an agent: the name "${name}" is taken by ${owner}`, problems.map(invalidField), `Give it another name (name: in its frontmatter, or rename the note); ${owner} keeps "${name}".`);
  }
  if (!parsed.ok) {
    return result(`agent "${name}": invalid (${[...new Set(problems.map((p) => p.field))].join(', ')})`, [...problems.map(invalidField), 'Messages to it fail until it is fixed, and its schedule does not fire.'], 'Fix these fields and save the note: the daemon reads it again at once.');
  }
  const refused = checkPolicy(parsed.definition, ctx.policy, root);
  if (refused.length > 0) {
    return result(`agent "${name}": refused by the operator's policy`, [
      ...refused.map(invalidField),
      `The policy is read from ${ctx.policySource ?? 'the Scriptorium config'}; flags given to "scriptorium start" may allow more.`,
    ], 'Remove what the policy refuses, or ask the operator of this machine to allow it in the config.');
  }
  const d = parsed.definition;
  const reasons: string[] = [];
  // What each turn checks as it starts (the daemon's turns/turns.ts): the folder must be there.
  const place = turnWorkspace(d.workspace, d.path, ctx.policy, root);
  if ('error' in place) reasons.push(`Its messages fail: ${place.error}`);
  const grants = agentGrants(d);
  if (grants) reasons.push(`Each turn ${grants.replace(`${d.name} gets `, 'gets ')}, and nothing else from the operator config.`);
  if (!d.enabled) reasons.push('enabled: false — messages to it wait, queued, and its schedule does not fire.');
  reasons.push(...scheduleReasons(d, shown, ctx));
  const waiting = ctx.scan.notes.filter((n) => {
    if (n.role !== 'inbound') return false;
    const r = readInbound(n.path, n.data, n.body);
    return r.ok && r.message.to === d.name && (r.message.status === 'queued' || r.message.status === 'ready');
  }).length;
  if (waiting > 0) reasons.push(`${waiting} message${waiting === 1 ? ' to it waits' : 's to it wait'} (ready or queued).`);
  const ledger = new Ledger();
  for (const turn of ctx.turns) ledger.record(turn);
  const hold = budgetHold(ledger, d, ctx.now);
  const stopped = vaultStop(ctx);
  if (stopped) reasons.push(`Its messages wait, as every agent's do: ${stopped.reason}.`);
  if (hold) reasons.push(`Its messages wait: ${hold.reason}.`);
  if (!ctx.daemon) reasons.push('No daemon runs on this vault: nothing runs and no schedule fires until "scriptorium start".');
  if (ctx.halt !== null) reasons.push(`Halted (${haltReason(ctx) ?? HALT_FILE}): no turn starts and no schedule fires.`);
  if (str(data.error)) reasons.push('Its error: is left from an earlier reading; the daemon removes it when it reads the note again.');
  return result(`agent "${name}": valid${d.enabled ? ', enabled' : ', but disabled'}`, reasons, d.enabled ? undefined : `Set enabled: true (or remove the line) to run what waits.`);
}

function scheduleReasons(d: AgentDefinition, shown: Record<string, string>, ctx: ExplainContext): string[] {
  if (d.schedules.length === 0) return [];
  const reasons: string[] = [];
  const live = ctx.daemon?.status?.agents.find((a) => a.name === d.name);
  let next: Date | null = null;
  for (const entry of d.schedules) {
    const at = nextFire(entry.cron, d.tz, ctx.now);
    if (at && (!next || at < next)) next = at;
    const state = ctx.schedule[`${d.name}|${entry.cron}`];
    if (state?.lastFire) reasons.push(`"${entry.cron}" last fired at ${state.lastFire}${state.lastNote ? ` (${wikilink(state.lastNote)})` : ''}.`);
    if (state?.lastSkip) reasons.push(`"${entry.cron}" skipped a fire at ${state.lastSkip.at}: ${state.lastSkip.reason}.`);
  }
  if (!d.enabled) return reasons;
  const when = live?.nextRun ?? (next ? isoLocal(next) : undefined);
  if (when) {
    shown.next_run = when;
    reasons.unshift(`Its schedule fires next at ${when}${ctx.daemon ? '' : ', if a daemon runs then'}.`);
  }
  return reasons;
}
