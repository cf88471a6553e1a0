import type { FrontmatterData } from '../vault/frontmatter.ts';
import type { DefinitionResult } from './definition.ts';

/**
 * A definition an agent's turn wrote is not loaded: an agent may not create or change an agent (a new
 * agent is new powers: its own schedule, its own `can_message`). Scriptorium stamps this field on it, so
 * the refusal outlasts its memory of the turn's writes; a person who wants the agent deletes the line.
 */
export const WRITTEN_BY = 'written_by';

/** The agent a definition's `written_by` names, or undefined when it has none. */
export function stampedWriter(data: FrontmatterData): string | undefined {
  const value = data[WRITTEN_BY];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** Not loaded, whatever its fields say; it still claims its name, so no other note takes it meanwhile. */
export function refusedDefinition(loaded: DefinitionResult, made: { agent: string; origin?: string | undefined }): DefinitionResult {
  const by = `${made.agent}'s turn${made.origin ? ` (answering ${made.origin})` : ''}`;
  return {
    ok: false,
    name: loaded.ok ? loaded.definition.name : loaded.name,
    problems: [
      {
        field: WRITTEN_BY,
        message: `this definition was written by ${by}, and an agent may not create or change an agent, so it is not loaded. If you want it, read it, then delete the ${WRITTEN_BY} line and save`,
      },
    ],
  };
}
