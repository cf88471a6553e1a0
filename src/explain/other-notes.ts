import { singleThreadPath } from '../threads/thread-note.ts';
import { locateFrontmatter, parseFrontmatter, type FrontmatterData } from '../vault/frontmatter.ts';
import type { ScannedNote } from '../vault/scan.ts';
import { normalizeTags, ROLE_TAGS } from '../vault/tags.ts';
import { facts, str } from './fields.ts';
import type { ExplainContext, Explanation } from './types.ts';

/** Why a markdown note with frontmatter is not one of Scriptorium's, as precisely as its text allows. */
export function whyNotScriptorium(raw: string): string {
  let block;
  try {
    block = locateFrontmatter(raw);
  } catch {
    return 'It opens a frontmatter with --- that never closes, and mentions no agent/ tag near the top.';
  }
  if (block === null) return 'It has no frontmatter, so no agent/ tag: it is one of your ordinary notes.';
  if (!/agent\//i.test(raw.slice(block.yamlStart, block.yamlEnd))) return 'Its frontmatter has no agent/ tag: it is one of your ordinary notes.';
  let data: FrontmatterData = {};
  try {
    data = parseFrontmatter(raw).data;
  } catch {
    // readScriptoriumNote parsed it already; nothing more to say.
  }
  const roles = Object.values(ROLE_TAGS).join(', ');
  if (data.tags === undefined && data.tag !== undefined) return `Its tags are in a field named "tag": Scriptorium reads only "tags" (${roles}).`;
  const agentTags = normalizeTags(data.tags).filter((t) => t.startsWith('agent/'));
  if (agentTags.length > 0) return `Its tags (${agentTags.join(', ')}) name no Scriptorium role; the roles are ${roles}.`;
  return `Its frontmatter mentions agent/, but its tags field has no role tag (${roles}).`;
}

export function explainThread(note: ScannedNote, ctx: ExplainContext): Explanation {
  const { path, data } = note;
  const shown = facts(data, ['agent', 'mode', 'status', 'session', 'turn_count', 'started_at', 'last_turn_at', 'cost_usd', 'archive']);
  const agentName = str(data.agent) ?? '?';
  const reasons = [`A thread note is one Claude session of ${agentName}: its latest turn is here, earlier ones in its archive notes${str(data.archive) ? ` (now ${str(data.archive)})` : ''}. It never wakes an agent itself.`];
  if (!str(data.session)) reasons.push('It has no session yet: the next turn starts one.');
  if (data.status === 'working') reasons.push(ctx.daemon ? 'A turn is running in it now.' : 'Its status says working, but no daemon runs: a turn was cut off; the daemon settles it at its next start.');
  const lookup = ctx.scan.registry.lookup(agentName.toLowerCase());
  if (lookup.kind === 'unknown') reasons.push(`No agent named "${agentName}" exists now.`);
  if (lookup.kind === 'ok' && lookup.definition.mode === 'single-threaded' && path !== singleThreadPath(lookup.definition.name)) {
    reasons.push(`${lookup.definition.name} is single-threaded and keeps its conversation in ${singleThreadPath(lookup.definition.name)}, not here: this thread is not continued.`);
  }
  const turns = str(data.turn_count) ?? '0';
  return { note: path, role: 'thread', verdict: `thread of ${agentName}: ${turns} turn${turns === '1' ? '' : 's'}, never runs`, reasons, facts: shown };
}

/** An archive part: the turns that left a thread note as it grew (threads/thread-archive.ts). */
export function explainArchive(note: ScannedNote): Explanation {
  const { path, data } = note;
  const thread = str(data.thread) ?? 'its thread';
  return {
    note: path,
    role: 'archive',
    verdict: `archive of ${thread}: never runs`,
    reasons: [`Turns that moved out of ${thread} as it grew, oldest first. Scriptorium appends to the thread's current part and never rewrites one; it never wakes an agent.`],
    facts: facts(data, ['agent', 'thread', 'part']),
  };
}

export function explainOutbound(note: ScannedNote): Explanation {
  const { path, data } = note;
  const shown = facts(data, ['from', 'to', 'status', 'in_reply_to', 'thread', 'created', 'origin_message', 'callback_note', 'notify_status']);
  const from = str(data.from) ?? 'an agent';
  const answers = str(data.in_reply_to);
  const reasons = [`${data.status === 'error' ? 'A failure note' : 'A reply'} from ${from}${answers ? `, answering ${answers}` : ''}. Outbound notes never wake an agent, whatever their fields.`];
  if (data.status === 'error') reasons.push('The turn failed: the message note has the error; set its status back to ready to try again.');
  if (data.notify_status === 'pending') reasons.push('notify_status: pending — its webhook is sent when the daemon runs.');
  return { note: path, role: 'outbound', verdict: `${data.status === 'error' ? 'failure note' : 'reply'} from ${from}: never runs`, reasons, facts: shown, ...(answers ? { next: `See the message it answers: ${answers}.` } : {}) };
}
