import { fileStamp, isoLocal } from '../util/clock.ts';
import { stringifyNote, type FrontmatterData } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';
import { safeFileName } from '../vault/paths.ts';
import { ROLE_TAGS } from '../vault/tags.ts';

/** Where approval notes are written; agents' edit tools are denied this folder (turns/turn-request.ts). */
export const APPROVALS_DIR = 'Approvals';

export interface ApprovalRequest {
  agent: string;
  tool: string;
  input: Record<string, unknown>;
  /** The message whose turn asks, and its thread. */
  message: string;
  thread: string;
  at: Date;
  expiresAt: Date;
}

/** `Approvals/2026-12-05 091200 researcher - Write` (no extension; the store adds it, and a suffix if taken). */
export function approvalBaseName(request: Pick<ApprovalRequest, 'agent' | 'tool' | 'at'>): { dir: string; base: string } {
  return { dir: APPROVALS_DIR, base: safeFileName(`${fileStamp(request.at, true)} ${request.agent} - ${request.tool}`, 90) };
}

/**
 * A tool call waiting for a person: the call in a line (the frontmatter, for Obsidian's properties and
 * the Dashboard), the whole input below, and `decision: pending` to be set to `allow` or `deny`.
 */
export function approvalNote(request: ApprovalRequest): string {
  const summary = summarizeInput(request.input);
  const fields: FrontmatterData = {
    tags: [ROLE_TAGS.approval],
    agent: request.agent,
    tool: request.tool,
    input: summary,
    message: wikilink(request.message),
    thread: wikilink(request.thread),
    decision: 'pending',
    requested_at: isoLocal(request.at),
    expires_at: isoLocal(request.expiresAt),
  };
  const full = JSON.stringify(request.input, null, 2);
  const body = [
    `**${request.agent}** asks to use **${request.tool}** while answering ${wikilink(request.message)}.`,
    '',
    `> ${summary}`,
    '',
    `Set \`decision: allow\` or \`decision: deny\` above (you may add \`reason:\` for the agent). Its turn waits until then; at ${isoLocal(request.expiresAt)} it is denied.`,
    '',
    '## Full input',
    '',
    // A fence longer than any run of backticks in the input, so the input cannot close it.
    `${fence(full)}json`,
    full,
    fence(full),
    '',
  ].join('\n');
  return stringifyNote(fields, body);
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

/** One line a person can judge from a phone: the file, the command, the address, or the first fields. */
export function summarizeInput(input: Record<string, unknown>): string {
  const str = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
  const cut = (text: string, max = 160) => {
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > max ? `${line.slice(0, max)}…` : line;
  };
  const file = str('file_path') ?? str('notebook_path');
  if (file) {
    const content = str('content') ?? str('new_string') ?? str('new_source');
    return cut(`${file}${content !== undefined ? ` (${content.length} characters)` : ''}`);
  }
  if (str('command') !== undefined) return cut(`$ ${str('command')}`);
  if (str('url') !== undefined) return cut(str('url')!);
  const parts = Object.entries(input).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return cut(parts.join(', ') || '(no input)');
}

export type Decision = 'pending' | 'allow' | 'deny';

/** A person's word in `decision:`; null for a value that is none of them (said on the note). */
export function readDecision(value: unknown): Decision | null {
  if (value === undefined || value === null || value === '') return 'pending';
  if (typeof value === 'boolean') return value ? 'allow' : 'deny';
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  if (word === 'pending') return 'pending';
  if (['allow', 'allowed', 'approve', 'approved', 'yes'].includes(word)) return 'allow';
  if (['deny', 'denied', 'reject', 'rejected', 'no'].includes(word)) return 'deny';
  return null;
}
