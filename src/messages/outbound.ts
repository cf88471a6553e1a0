import { ROLE_TAGS } from '../vault/tags.ts';
import { stringifyNote } from '../vault/frontmatter.ts';
import { wikilink } from '../vault/links.ts';
import { safeFileName } from '../vault/paths.ts';
import { fileStamp, isoLocal } from '../util/clock.ts';

export const OUTBOX_DIR = 'Outbox';

export interface OutboundInput {
  agent: string;
  to: string;
  inboundPath: string;
  threadPath: string;
  at: Date;
  ok: boolean;
  text: string;
  /** For the answer to a callback: the message that started the delegation. */
  originMessage?: string | undefined;
  /** The agent has `notify:`: the note starts `notify_status: pending` until the webhook is delivered. */
  notify?: boolean | undefined;
}

/** `Outbox/2026-11-21 193605 researcher - <message title>` (no extension; the store adds it and a suffix if taken). */
export function outboundBaseName(agent: string, inboundPath: string, at: Date): { dir: string; base: string } {
  // A message named by `send` already starts with a stamp and the agent: don't repeat them.
  const title = inboundPath
    .split('/')
    .pop()!
    .replace(/\.md$/i, '')
    .replace(/^\d{4}-\d{2}-\d{2} \d{4,6} /, '')
    .replace(new RegExp(`^${agent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} - `), '');
  return { dir: OUTBOX_DIR, base: safeFileName(`${fileStamp(at, true)} ${agent} - ${title}`, 90) };
}

/** An agent's reply, or a short failure note in words a person can act on. */
export function outboundNote(input: OutboundInput): string {
  const body = input.ok
    ? input.text.trim() + '\n'
    : `**${input.agent} could not answer** ${wikilink(input.inboundPath)}.\n\n${input.text.trim()}\n\nThe message note has the details; set its status back to \`ready\` to try again.\n`;
  return stringifyNote(
    {
      tags: [ROLE_TAGS.outbound],
      from: input.agent,
      to: input.to,
      status: input.ok ? 'ok' : 'error',
      in_reply_to: wikilink(input.inboundPath),
      thread: wikilink(input.threadPath),
      created: isoLocal(input.at),
      ...(input.originMessage ? { origin_message: wikilink(input.originMessage) } : {}),
      ...(input.notify ? { notify_status: 'pending' } : {}),
    },
    body,
  );
}
