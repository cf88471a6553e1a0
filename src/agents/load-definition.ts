import { tooBigError } from '../vault/note-size.ts';
import { parseDefinition, type DefinitionResult } from './definition.ts';
import { checkPolicy, type OperatorPolicy } from './policy.ts';

/** A definition has no status to set back: it is read again each time it is saved. */
const TOO_BIG_NEXT = "Shorten it (an agent's instructions may be at most 100 KB); it is read again when saved.";

/**
 * A definition note as the daemon loads it (and `explain`/`doctor` show it): its fields read, then the
 * whole agent refused when the operator's policy forbids any of them. The policy is the ceiling.
 * `oversize`: the note is over max_message_bytes, so only its head was read (`body` is cut): the agent
 * is invalid, with the size as one more problem, and still claims its name.
 */
export function loadDefinition(
  vaultPath: string,
  data: Record<string, unknown>,
  body: string,
  vaultRoot: string,
  policy: OperatorPolicy,
  oversize?: { size: number; limit: number },
): DefinitionResult {
  const result = checked(vaultPath, data, body, vaultRoot, policy);
  if (oversize === undefined) return result;
  const problem = { field: 'size', message: tooBigError(oversize.size, oversize.limit, TOO_BIG_NEXT) };
  return result.ok ? { ok: false, name: result.definition.name, problems: [problem] } : { ...result, problems: [...result.problems, problem] };
}

function checked(vaultPath: string, data: Record<string, unknown>, body: string, vaultRoot: string, policy: OperatorPolicy): DefinitionResult {
  const result = parseDefinition(vaultPath, data, body, vaultRoot);
  if (!result.ok) return result;
  const refused = checkPolicy(result.definition, policy, vaultRoot);
  return refused.length > 0 ? { ok: false, name: result.definition.name, problems: refused } : result;
}
