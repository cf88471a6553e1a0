import { ROLE_TAGS } from '../vault/tags.ts';
import { stringifyNote } from '../vault/frontmatter.ts';
import { safeFileName } from '../vault/paths.ts';
import { fileStamp, isoLocal } from '../util/clock.ts';

export const INBOX_DIR = 'Inbox';

export interface NewMessage {
  to: string;
  from: string;
  body: string;
  at: Date;
  status?: 'ready' | 'draft';
}

/** An inbound note as the CLI (and later the scheduler and the HTTP bridge) writes it. */
export function newInboundNote(message: NewMessage, extra: Record<string, unknown> = {}): string {
  return stringifyNote(
    {
      tags: [ROLE_TAGS.inbound],
      to: message.to,
      from: message.from,
      status: message.status ?? 'ready',
      created: isoLocal(message.at),
      ...extra,
    },
    message.body.trim() + '\n',
  );
}

/** `Inbox/2026-11-21 193605 researcher - What changed in` */
export function inboundBaseName(message: NewMessage): { dir: string; base: string } {
  const words = message.body.trim().split(/\s+/).slice(0, 6).join(' ');
  return { dir: INBOX_DIR, base: safeFileName(`${fileStamp(message.at, true)} ${message.to} - ${words}`, 80) };
}
