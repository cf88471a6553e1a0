import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addConfigSecrets } from '../config/config-secrets.ts';
import { ConfigError, defaultConfigPath, loadConfig, type DaemonConfig } from '../config/operator-config.ts';
import { createRedactor } from '../util/redact.ts';
import { lockHolder } from '../state/lock.ts';
import { readStatus } from '../state/status-file.ts';
import { monthOf } from '../state/turns-log.ts';
import { readTurnsOfMonth, readTurnsSince } from '../state/turns-read.ts';
import { explainNote, HALT_FILE, type ExplainContext, type Explanation } from '../explain/explain.ts';
import type { ScheduleState } from '../schedule/scheduler.ts';
import { linkTarget } from '../vault/links.ts';
import { STATE_DIR } from '../vault/note-store.ts';
import { NOTE_HEAD_BYTES } from '../vault/note-size.ts';
import { toVaultPath } from '../vault/paths.ts';
import { scanVault } from '../intake/vault-scan.ts';
import { err, out, table, UsageError } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const EXPLAIN_HELP = `scriptorium explain <note> [--vault DIR] [--config FILE] [--json]

Why a note did or did not run: draft, empty body, unknown or disabled agent, invalid field,
halted, waiting on a budget, depth limit, not a Scriptorium note, ... Works whether or not the
daemon runs; nothing is written.

<note> is a vault path (Inbox/My question.md), a path from the current folder, or a wikilink
([[Inbox/My question]]); ".md" may be left out. Without --vault, the vault is the nearest folder
above the note (or the current folder) that has .scriptorium/ or .obsidian/.

Options:
  --vault DIR      the vault
  --config FILE    the operator config whose policy applies (default: as for start)
  --json           the explanation as JSON: {note, role, verdict, reasons, facts, next}

Exit codes: 0 explained (even "it will not run"), 1 no such note, 2 usage.`;

export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { vault: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError('explain needs one note: scriptorium explain "Inbox/My question.md"');
  const found = locateNote(noteArgument(positionals[0]!), values.vault);
  if ('tried' in found) {
    err(`No such note: ${found.tried.join(', ')}`);
    return 1;
  }
  const configFile = values.config ?? defaultConfigPath();
  let config: DaemonConfig;
  try {
    config = loadConfig(configFile);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const context = { ...(await readContext(found.root, found.vaultPath, config, configFile)), quietForMs: config.quietForMs };
  const explanation = explainNote(found.root, found.vaultPath, context);
  // It quotes notes' names, fields and errors: a secret in them (the API token...) is not printed.
  const redact = createRedactor();
  addConfigSecrets(redact, config);
  out(redact(values.json ? JSON.stringify(explanation, null, 2) : render(explanation)));
  return 0;
}

/** `[[Inbox/x|alias]]` → `Inbox/x`; anything else as given. */
function noteArgument(arg: string): string {
  const text = arg.trim();
  if (!/^\[\[.*\]\]$/.test(text)) return text;
  const target = linkTarget(text);
  if (!target) throw new UsageError(`"${arg}" is an empty link`);
  return target;
}

const VAULT_MARKERS = [STATE_DIR, '.obsidian'];

/** The nearest folder from `dir` upwards that has `.scriptorium/` or `.obsidian/`. */
function vaultAbove(dir: string): string | null {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (VAULT_MARKERS.some((marker) => isDirectory(path.join(current, marker)))) return current;
    if (path.dirname(current) === current) return null;
  }
}

/**
 * The note as a file: tried as given, then with `.md`; a symbolic link counts (explain says why it is
 * skipped). The vault is `--vault`, else found above the note, else above the current folder.
 */
function locateNote(arg: string, vaultOption: string | undefined): { root: string; vaultPath: string } | { tried: string[] } {
  const tried: string[] = [];
  const firstFile = (base: string): string | null => {
    for (const candidate of /\.md$/i.test(base) ? [base] : [base, `${base}.md`]) {
      tried.push(candidate);
      if (isFileOrLink(candidate)) return candidate;
    }
    return null;
  };
  const inVault = (root: string, file: string) => {
    const vaultPath = toVaultPath(root, file);
    if (vaultPath.startsWith('../') || vaultPath === '..' || path.isAbsolute(vaultPath)) throw new UsageError(`${file} is not inside the vault ${root}`);
    return { root, vaultPath };
  };
  if (vaultOption !== undefined) {
    const root = resolveVault(vaultOption);
    for (const base of path.isAbsolute(arg) ? [arg] : [path.join(root, arg), path.resolve(arg)]) {
      const file = firstFile(base);
      if (file) return inVault(root, file);
    }
    return { tried };
  }
  const here = firstFile(path.resolve(arg));
  if (here) {
    const root = vaultAbove(path.dirname(here)) ?? (process.env.SCRIPTORIUM_VAULT ? resolveVault(process.env.SCRIPTORIUM_VAULT) : null);
    if (!root) throw new UsageError(`no vault found above ${here} (no folder there has .scriptorium/ or .obsidian/); pass --vault DIR`);
    return inVault(root, here);
  }
  if (path.isAbsolute(arg)) return { tried };
  const root = process.env.SCRIPTORIUM_VAULT ? resolveVault(process.env.SCRIPTORIUM_VAULT) : vaultAbove(process.cwd());
  if (!root) return { tried };
  const file = firstFile(path.join(root, arg));
  return file ? inVault(root, file) : { tried };
}

/** Everything explain decides from, read once; the daemon, if one runs, is only read from. */
async function readContext(root: string, notePath: string, config: DaemonConfig, policySource: string): Promise<ExplainContext> {
  const { policy, maxMessageBytes: maxNoteBytes } = config;
  const now = new Date();
  // This month, for the budgets (as the daemon reads it), and the last many turns, for a note's own turn.
  const monthStart = new Date(now.getFullYear(), now.getMonth(), 1);
  const [pid, status, turns, scan] = await Promise.all([lockHolder(root), readStatus(root), readTurnsSince(root, monthStart, 20_000), scanVault(root, policy, maxNoteBytes)]);
  const readText = (file: string): string | null => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  };
  // A message that ran in an earlier month: its turn is in that month's file.
  const noteFile = path.join(root, ...notePath.split('/'));
  const noteText = isFile(noteFile) ? readNote(noteFile, maxNoteBytes) : null;
  const ranIn = noteText === null ? undefined : stampMonth(noteText);
  const noteTurns = ranIn !== undefined && ranIn !== monthOf(now) ? await readTurnsOfMonth(root, ranIn) : [];
  let schedule: ScheduleState = {};
  try {
    schedule = JSON.parse(readText(path.join(root, STATE_DIR, 'schedule.json')) ?? '{}') as ScheduleState;
  } catch {
    // Unreadable: the daemon starts afresh from it too.
  }
  const abs = (vaultPath: string) => path.join(root, ...vaultPath.split('/'));
  return {
    files: {
      read: (vaultPath) => (isFile(abs(vaultPath)) ? readNote(abs(vaultPath), maxNoteBytes) : null),
      isSymlink: (vaultPath) => {
        try {
          return lstatSync(abs(vaultPath)).isSymbolicLink();
        } catch {
          return false;
        }
      },
    },
    scan,
    policy,
    policySource,
    daemon: pid === null ? null : { pid, status },
    // Its presence halts, whatever it says (an unreadable HALT.md included).
    halt: existsSync(path.join(root, HALT_FILE)) ? (readText(path.join(root, HALT_FILE)) ?? '') : null,
    budget: { dailyUsd: config.dailyBudgetUsd, monthlyUsd: config.monthlyBudgetUsd },
    turns,
    noteTurns,
    schedule,
    now,
  };
}

/** The local month of a note's `finished_at` (or `started_at`), read from its frontmatter's own lines. */
function stampMonth(text: string): string | undefined {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text)?.[1] ?? '';
  for (const field of ['finished_at', 'started_at']) {
    // Greedy and trimmed in code: no backtracking over a hostile line.
    const value = new RegExp(`^${field}:(.*)$`, 'm').exec(front)?.[1]?.trim().replace(/^["']|["']$/g, '');
    const at = value === undefined ? Number.NaN : Date.parse(value);
    if (Number.isFinite(at)) return monthOf(new Date(at));
  }
  return undefined;
}

function render(e: Explanation): string {
  const role = e.role === 'none' ? '' : ` (${e.role === 'inbound' ? 'message' : e.role})`;
  const lines = [`${e.note}${role}: ${e.verdict}`];
  if (e.reasons.length > 0) lines.push('', ...e.reasons.map((r) => `  - ${r}`));
  const facts = Object.entries(e.facts);
  if (facts.length > 0) lines.push('', table(facts.map(([k, v]) => [`  ${k}`, v.length > 160 ? `${v.slice(0, 160)}…` : v])));
  if (e.next) lines.push('', `Next: ${e.next}`);
  return lines.join('\n');
}

function isFileOrLink(file: string): boolean {
  try {
    const s = lstatSync(file);
    return s.isFile() || s.isSymbolicLink();
  } catch {
    return false;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A note's text, as the daemon reads it: one over the size limit only up to its first 64 KB (its
 * frontmatter; the scan says it is too big), so explaining a huge note does not read it whole.
 */
function readNote(file: string, maxNoteBytes: number): string | null {
  try {
    if (statSync(file).size <= maxNoteBytes) return readFileSync(file, 'utf8');
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(NOTE_HEAD_BYTES);
      return head.subarray(0, readSync(fd, head, 0, NOTE_HEAD_BYTES, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
