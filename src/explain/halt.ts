import { HALT_NOTE, haltReason as haltReasonOf } from '../state/halt-note.ts';
import type { ExplainContext } from './types.ts';

export const HALT_FILE = HALT_NOTE;

/** The daemon's rule (daemon/halt.ts): status.json's reason while it runs, else HALT.md's first line that says something. */
export function haltReason(ctx: ExplainContext): string | null {
  if (ctx.halt === null) return null;
  if (ctx.daemon?.status?.halted && ctx.daemon.status.haltReason) return ctx.daemon.status.haltReason;
  const reason = haltReasonOf(ctx.halt);
  return reason === 'HALT.md is present' ? null : reason;
}
