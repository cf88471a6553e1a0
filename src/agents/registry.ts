import type { AgentDefinition, DefinitionResult, FieldProblem } from './definition.ts';

interface Entry {
  path: string;
  result: DefinitionResult;
  /** When a definition registered first: the older claim to a name wins over a newcomer's. */
  order: number;
}

export type AgentLookup =
  | { kind: 'ok'; definition: AgentDefinition }
  | { kind: 'invalid'; path: string; problems: FieldProblem[] }
  | { kind: 'unknown' };

/** Agent definitions by name, as the vault holds them now; an edit replaces the entry, so the next turn sees it. */
export class AgentRegistry {
  readonly #byPath = new Map<string, Entry>();
  #counter = 0;
  readonly #onDefinition: ((definition: AgentDefinition) => void) | undefined;

  /** `onDefinition`: told of each valid definition read (the daemon learns the secrets in its `notify:` URL). */
  constructor(options: { onDefinition?: (definition: AgentDefinition) => void } = {}) {
    this.#onDefinition = options.onDefinition;
  }

  /** Record a definition note's latest reading; returns the problems to show on it (including a taken name). */
  set(path: string, result: DefinitionResult): FieldProblem[] {
    if (result.ok) this.#onDefinition?.(result.definition);
    const previous = this.#byPath.get(path);
    this.#byPath.set(path, { path, result, order: previous?.order ?? this.#counter++ });
    const owner = this.#owner(nameOf(result));
    if (owner && owner.path !== path) {
      return [
        ...(result.ok ? [] : result.problems),
        { field: 'name', message: `the name "${nameOf(result)}" is already taken by ${owner.path}` },
      ];
    }
    return result.ok ? [] : result.problems;
  }

  remove(path: string): void {
    this.#byPath.delete(path);
  }

  has(path: string): boolean {
    return this.#byPath.has(path);
  }

  lookup(name: string): AgentLookup {
    const owner = this.#owner(name);
    if (!owner) return { kind: 'unknown' };
    return owner.result.ok
      ? { kind: 'ok', definition: owner.result.definition }
      : { kind: 'invalid', path: owner.path, problems: owner.result.problems };
  }

  /** Every name with a definition note, valid or not, sorted. */
  names(): string[] {
    return [...new Set([...this.#byPath.values()].map((e) => nameOf(e.result)))].sort();
  }

  definitions(): AgentDefinition[] {
    return this.names()
      .map((name) => this.lookup(name))
      .flatMap((l) => (l.kind === 'ok' ? [l.definition] : []));
  }

  /** Paths of definition notes (protected from agents' own edits). */
  paths(): string[] {
    return [...this.#byPath.keys()].sort();
  }

  #owner(name: string): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.#byPath.values()) {
      if (nameOf(entry.result) !== name) continue;
      if (!best || entry.order < best.order) best = entry;
    }
    return best;
  }
}

function nameOf(result: DefinitionResult): string {
  return result.ok ? result.definition.name : result.name;
}
