import type { FieldProblem } from '../agents/definition.ts';
import type { FrontmatterData } from '../vault/frontmatter.ts';

export function invalidField(p: FieldProblem): string {
  return `invalid field ${p.field}: ${p.message}`;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The named fields that are set, as text (lists and maps as JSON). */
export function facts(data: FrontmatterData, fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of fields) {
    const v = data[field];
    if (v === undefined || v === null || v === '') continue;
    out[field] = str(v) ?? JSON.stringify(v);
  }
  return out;
}
