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
  /** The entries claiming each name: a lookup is one of these, not a look through every definition. */
  readonly #byName = new Map<string, Set<Entry>>();
  #counter = 0;
  /** The sorted names and the valid definitions, made again only after a change. */
  #names: string[] | undefined;
  #definitions: AgentDefinition[] | undefined;
  #paths: string[] | undefined;
  #version = 0;
  readonly #onDefinition: ((definition: AgentDefinition) => void) | undefined;
  readonly #onChange: ((name: string) => void) | undefined;

  /**
   * `onDefinition`: told of each valid definition read (the daemon learns the secrets in its `notify:` URL).
   * `onChange`: told of each name whose definition may have changed (status views keep a row per name).
   */
  constructor(options: { onDefinition?: (definition: AgentDefinition) => void; onChange?: (name: string) => void } = {}) {
    this.#onDefinition = options.onDefinition;
    this.#onChange = options.onChange;
  }

  /** Record a definition note's latest reading; returns the problems to show on it (including a taken name). */
  set(path: string, result: DefinitionResult): FieldProblem[] {
    if (result.ok) this.#onDefinition?.(result.definition);
    const previous = this.#byPath.get(path);
    if (previous) this.#unindex(previous);
    const entry = { path, result, order: previous?.order ?? this.#counter++ };
    this.#byPath.set(path, entry);
    const name = nameOf(result);
    const claims = this.#byName.get(name) ?? new Set<Entry>();
    claims.add(entry);
    this.#byName.set(name, claims);
    this.#changed(name, previous);
    const owner = this.#owner(name);
    if (owner && owner.path !== path) {
      return [
        ...(result.ok ? [] : result.problems),
        { field: 'name', message: `the name "${name}" is already taken by ${owner.path}` },
      ];
    }
    return result.ok ? [] : result.problems;
  }

  remove(path: string): void {
    const previous = this.#byPath.get(path);
    if (!previous) return;
    this.#byPath.delete(path);
    this.#unindex(previous);
    this.#changed(undefined, previous);
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

  /** Every name with a definition note, valid or not, sorted (sorted once per change, copied per call). */
  names(): string[] {
    this.#names ??= [...this.#byName.keys()].sort();
    return [...this.#names];
  }

  /** The valid definitions, by name. */
  definitions(): AgentDefinition[] {
    this.#definitions ??= this.names()
      .map((name) => this.lookup(name))
      .flatMap((l) => (l.kind === 'ok' ? [l.definition] : []));
    return [...this.#definitions];
  }

  /** Paths of definition notes (protected from agents' own edits). */
  paths(): string[] {
    this.#paths ??= [...this.#byPath.keys()].sort();
    return [...this.#paths];
  }

  /** Goes up at every change: what is made from the definitions can be kept until it does. */
  get version(): number {
    return this.#version;
  }

  #owner(name: string): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.#byName.get(name) ?? []) if (!best || entry.order < best.order) best = entry;
    return best;
  }

  #unindex(entry: Entry): void {
    const name = nameOf(entry.result);
    const claims = this.#byName.get(name);
    claims?.delete(entry);
    if (claims?.size === 0) this.#byName.delete(name);
  }

  #changed(name: string | undefined, previous: Entry | undefined): void {
    this.#names = undefined;
    this.#definitions = undefined;
    this.#paths = undefined;
    this.#version++;
    if (name !== undefined) this.#onChange?.(name);
    if (previous && nameOf(previous.result) !== name) this.#onChange?.(nameOf(previous.result));
  }
}

function nameOf(result: DefinitionResult): string {
  return result.ok ? result.definition.name : result.name;
}
