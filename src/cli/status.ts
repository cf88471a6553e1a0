import { parseArgs } from 'node:util';
import { usd } from '../state/ledger.ts';
import { lockHolder } from '../state/lock.ts';
import { readStatus } from '../state/status-file.ts';
import { readRecentTurns } from '../state/turns-read.ts';
import { out, table } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const STATUS_HELP = `scriptorium status [vault] [--json]

Agents (idle / working / queued:N), the latest turns and their cost; the vault's spending against
the operator config's daily_budget_usd / monthly_budget_usd, and whether a cap has stopped turns.`;

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, vault: { type: 'string' } },
  });
  const vault = resolveVault(positionals[0] ?? values.vault);
  const pid = await lockHolder(vault);
  const status = await readStatus(vault);
  const turns = await readRecentTurns(vault, 10);
  const running = pid !== null;
  const agents = (status?.agents ?? []).map((a) => ({
    ...a,
    shown: !running
      ? 'stopped'
      : a.hold && a.state !== 'working'
        ? `waiting: ${a.hold}${a.queued > 0 ? `, queued:${a.queued}` : ''}`
      : a.enabled === false
        ? `disabled${a.queued > 0 ? `, queued:${a.queued}` : ''}`
        : status?.halted && a.state !== 'working'
          ? `halted${a.queued > 0 ? `, queued:${a.queued}` : ''}`
          : a.state === 'queued'
            ? `queued:${a.queued}`
            : a.state === 'working' && a.queued > 0
              ? `working, queued:${a.queued}`
              : a.state,
  }));
  if (values.json) {
    out(JSON.stringify({ vault, running, pid, spending: running ? status?.spending : undefined, needsYou: running ? (status?.needsYou ?? []) : [], agents, turns }, null, 2));
    return 0;
  }
  out(running ? `Scriptorium is running on ${vault} (pid ${pid}, since ${status?.startedAt ?? '?'})` : `Scriptorium is not running on ${vault}`);
  if (running && status?.halted) out(`HALTED: ${status.haltReason ?? 'HALT.md is present'} (scriptorium resume to go on)`);
  if (running && status?.spending) {
    const { todayUsd, monthUsd, dailyBudgetUsd, monthlyBudgetUsd, stopped } = status.spending;
    if (stopped) out(`SPENDING STOPPED: ${stopped}`);
    if (dailyBudgetUsd !== undefined || monthlyBudgetUsd !== undefined) {
      const of = (cap: number | undefined) => (cap === undefined ? '' : ` of ${usd(cap)}`);
      out(`Vault spending: ${usd(todayUsd)}${of(dailyBudgetUsd)} today, ${usd(monthUsd)}${of(monthlyBudgetUsd)} this month`);
    }
  }
  const needs = running ? (status?.needsYou ?? []) : [];
  if (needs.length > 0) {
    out(`\nNEEDS YOU (${needs.length}):`);
    for (const item of needs) out(`  ${item.kind === 'approval' ? 'approve or deny' : 'answer'}  ${item.path}  ${item.agent}: ${item.what}`);
  }
  if (agents.length === 0) {
    out(status ? '\nNo agents.' : '\nNo agents known yet: start the daemon once (scriptorium start).');
  } else {
    const when = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');
    out(
      '\n' +
        table([
          ['AGENT', 'STATE', 'MODE', 'NEXT RUN', 'LAST RUN', 'DESCRIPTION'],
          ...agents.map((a) => [a.name, a.state === 'error' ? `error: ${a.error}` : a.shown, a.mode ?? '', when(a.nextRun), when(a.lastRun), a.description ?? '']),
        ]),
    );
  }
  if (turns.length > 0) {
    const total = turns.reduce((sum, t) => sum + t.costUsd, 0);
    out(`\nRecent turns (cost of these ${turns.length}: $${total.toFixed(4)}):`);
    out(
      table(
        turns
          .slice()
          .reverse()
          .map((t) => [t.at.slice(0, 16).replace('T', ' '), t.agent, t.ok ? 'done' : 'error', `$${t.costUsd.toFixed(4)}`, `${(t.durationMs / 1000).toFixed(1)} s`, t.message]),
      ),
    );
  }
  return 0;
}
