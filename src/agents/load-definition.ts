import { parseDefinition, type DefinitionResult } from './definition.ts';
import { checkPolicy, type OperatorPolicy } from './policy.ts';

/**
 * A definition note as the daemon loads it (and `explain`/`doctor` show it): its fields read, then the
 * whole agent refused when the operator's policy forbids any of them. The policy is the ceiling.
 */
export function loadDefinition(vaultPath: string, data: Record<string, unknown>, body: string, vaultRoot: string, policy: OperatorPolicy): DefinitionResult {
  const result = parseDefinition(vaultPath, data, body, vaultRoot);
  if (!result.ok) return result;
  const refused = checkPolicy(result.definition, policy, vaultRoot);
  return refused.length > 0 ? { ok: false, name: result.definition.name, problems: refused } : result;
}
