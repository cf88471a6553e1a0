import matter from 'gray-matter';
import YAML from 'yaml';

/**
 * Frontmatter read with gray-matter, using `yaml` (YAML 1.2 core schema) as its engine so dates stay
 * strings and `01234` stays a number a person recognises. Passing an options object on every call also
 * keeps gray-matter from caching (its cache hands out one shared, mutable object per distinct text and
 * never evicts: a leak in a daemon).
 */
const engines = {
  yaml: {
    // CRLF notes: gray-matter hands over the block with `\r` left on each line, and `yaml` would keep it
    // in the values ("1\r"); normalise line ends before parsing.
    parse: (text: string): object => (YAML.parse(text.replace(/\r\n?/g, '\n'), { uniqueKeys: true }) ?? {}) as object,
    stringify: (data: object): string => YAML.stringify(data, { lineWidth: 0 }),
  },
};

export type FrontmatterData = Record<string, unknown>;

export interface ParsedFrontmatter {
  /** Fields as YAML 1.2 reads them; `{}` when the note has no frontmatter. */
  data: FrontmatterData;
  /** Everything after the closing `---` line. */
  body: string;
  hasFrontmatter: boolean;
}

export class FrontmatterError extends Error {
  override readonly name = 'FrontmatterError';
}

/** Where the YAML block sits in the raw text, so fields can be edited in place. */
export interface FrontmatterBlock {
  /** Offset of the first character of YAML text (after the opening `---` line). */
  yamlStart: number;
  /** Offset just past the YAML text (the start of the closing `---` line). */
  yamlEnd: number;
  /** Offset of the body (after the closing line and its line end). */
  bodyStart: number;
  eol: '\n' | '\r\n';
}

const OPEN = /^(\uFEFF)?---[ \t]*(\r?\n)/;

/** Locate the frontmatter block; `null` when the note has none. Throws when it is opened but never closed. */
export function locateFrontmatter(raw: string): FrontmatterBlock | null {
  const open = OPEN.exec(raw);
  if (!open) return null;
  const eol = open[2] === '\r\n' ? '\r\n' : '\n';
  const yamlStart = open[0].length;
  // The first line that starts with `---` closes the block: the same rule gray-matter reads by, so the
  // fields read and the block edited are always the same text.
  const close = /^---.*?(\r?\n|$)/gm;
  close.lastIndex = yamlStart;
  // A closing line right after the opening one is an empty block.
  const match = close.exec(raw);
  if (!match) {
    throw new FrontmatterError('the frontmatter starts with "---" but has no closing "---" line');
  }
  return { yamlStart, yamlEnd: match.index, bodyStart: match.index + match[0].length, eol };
}

export function parseFrontmatter(raw: string): ParsedFrontmatter {
  const block = locateFrontmatter(raw);
  if (!block) return { data: {}, body: raw.replace(/^\uFEFF/, ''), hasFrontmatter: false };
  let data: unknown;
  try {
    data = matter(raw, { engines }).data;
  } catch (error) {
    throw new FrontmatterError(`the frontmatter is not valid YAML: ${firstLine(error)}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new FrontmatterError('the frontmatter must be a list of "field: value" lines');
  }
  return { data: data as FrontmatterData, body: raw.slice(block.bodyStart), hasFrontmatter: true };
}

/** A new note from fields and a body; used only for notes Scriptorium owns (outbound, threads, messages it sends). */
export function stringifyNote(data: FrontmatterData, body: string): string {
  const clean = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
  // Handing gray-matter a file object, not a string: given a string it parses it first, and a body that
  // opens with a `---` rule would be taken for frontmatter.
  const file = { content: body.endsWith('\n') ? body : body + '\n', data: {} } as unknown as matter.GrayMatterFile<string>;
  return matter.stringify(file, clean, { engines });
}

/**
 * Set or remove top-level fields of a user's note, leaving every other byte as it was: other fields,
 * comments, quoting, key order, line ends and the body. `undefined` removes a field.
 */
export function updateFrontmatterText(raw: string, updates: FrontmatterData): string {
  const block = locateFrontmatter(raw);
  if (!block) {
    const eol = /\r\n/.test(raw) ? '\r\n' : '\n';
    const bom = raw.startsWith('\uFEFF') ? '\uFEFF' : '';
    const lines = Object.entries(updates)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${renderValue(v)}${eol}`)
      .join('');
    return lines ? `${bom}---${eol}${lines}---${eol}${raw.slice(bom.length)}` : raw;
  }
  const yamlText = raw.slice(block.yamlStart, block.yamlEnd);
  const doc = YAML.parseDocument(yamlText.replace(/\r\n?/g, (m) => (m === '\r\n' ? ' \n' : '\n')), {
    uniqueKeys: true,
  });
  // The CRLF → " \n" substitution above keeps offsets identical to the original text.
  if (doc.errors.length > 0) {
    throw new FrontmatterError(`the frontmatter is not valid YAML: ${firstLine(doc.errors[0])}`);
  }
  const contents = doc.contents;
  if (contents !== null && !YAML.isMap(contents)) {
    throw new FrontmatterError('the frontmatter must be a list of "field: value" lines');
  }

  // `{tags: [...], to: a}` on one line: there is no line to add a field on; rewrite the block (its
  // fields and values are kept, only its layout becomes one field per line).
  if (contents !== null && YAML.isMap(contents) && contents.flow) {
    const data = { ...(contents.toJSON() as Record<string, unknown>) };
    for (const [key, value] of Object.entries(updates)) {
      if (value === undefined) delete data[key];
      else data[key] = value;
    }
    const text = YAML.stringify(data, { lineWidth: 0 }).replace(/\n/g, block.eol);
    return raw.slice(0, block.yamlStart) + text + raw.slice(block.yamlEnd);
  }
  type Edit = { start: number; end: number; text: string };
  const edits: Edit[] = [];
  const appended: string[] = [];
  for (const [key, value] of Object.entries(updates)) {
    const pair = contents?.items.find((p) => YAML.isScalar(p.key) && p.key.value === key);
    if (!pair || !YAML.isScalar(pair.key) || !pair.key.range) {
      if (value !== undefined) appended.push(`${key}: ${renderValue(value)}`);
      continue;
    }
    const keyStart = pair.key.range[0];
    const keyText = yamlText.slice(keyStart, pair.key.range[1]);
    const valueNode = YAML.isNode(pair.value) ? pair.value : null;
    if (value === undefined) {
      let end = valueNode?.range ? valueNode.range[2] : pair.key.range[2];
      if (end > 0 && yamlText[end - 1] !== '\n') {
        const nl = yamlText.indexOf('\n', end);
        end = nl === -1 ? yamlText.length : nl + 1;
      }
      edits.push({ start: lineStart(yamlText, keyStart), end, text: '' });
      continue;
    }
    let end = Math.max(valueNode?.range ? valueNode.range[1] : lineEnd(yamlText, keyStart), pair.key.range[1]);
    // A block value's range runs past its last line end; the replacement must not swallow it.
    while (end > pair.key.range[1] && (yamlText[end - 1] === '\n' || yamlText[end - 1] === '\r' || yamlText[end - 1] === ' ')) end--;
    // An anchor on the old value stays on the new one: another field may alias it.
    const anchor = valueNode && 'anchor' in valueNode && typeof valueNode.anchor === 'string' ? `&${valueNode.anchor} ` : '';
    edits.push({ start: keyStart, end, text: `${keyText}: ${anchor}${renderValue(value)}` });
  }

  let out = yamlText;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  if (appended.length > 0) {
    // New keys line up with the existing ones (a block indented as a whole is valid YAML too).
    const first = contents?.items[0]?.key;
    const indent = YAML.isNode(first) && first.range ? yamlText.slice(lineStart(yamlText, first.range[0]), first.range[0]) : '';
    const pad = /^[ \t]*$/.test(indent) ? indent : '';
    if (out.length > 0 && !out.endsWith('\n')) out += block.eol;
    out += appended.map((line) => pad + line + block.eol).join('');
  }
  return raw.slice(0, block.yamlStart) + out + raw.slice(block.yamlEnd);
}

/** One YAML value on one line where possible: scalars plain or quoted as needed, lists in flow style. */
export function renderValue(value: unknown): string {
  // A multi-line string as one double-quoted line (`"a\nb"`): always valid in place, whatever follows.
  if (typeof value === 'string' && /[\r\n]/.test(value)) return JSON.stringify(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return YAML.stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
  }
  const text = YAML.stringify(value, {
    lineWidth: 0,
    collectionStyle: 'flow',
    flowCollectionPadding: false,
  });
  return text.replace(/\n$/, '');
}

function lineStart(text: string, offset: number): number {
  const nl = text.lastIndexOf('\n', offset - 1);
  return nl === -1 ? 0 : nl + 1;
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
