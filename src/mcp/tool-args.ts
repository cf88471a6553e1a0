/**
 * Checking a tool call's arguments against what its schema says, by hand: the model's input is untrusted,
 * and a wrong one gets a sentence back (an error result), never a crash.
 */
export class ArgsError extends Error {}

export function requiredString(args: Record<string, unknown>, key: string): string {
  const value = args[key];
  if (typeof value !== 'string' || value === '') throw new ArgsError(`${key} is required, as text`);
  return value;
}

export function optionalString(args: Record<string, unknown>, key: string): string | undefined {
  const value = args[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ArgsError(`${key} must be text`);
  return value;
}

export function optionalPositive(args: Record<string, unknown>, key: string): number | undefined {
  const value = args[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ArgsError(`${key} must be a number above 0`);
  return value;
}

export function objectList(args: Record<string, unknown>, key: string): Array<Record<string, unknown>> {
  const value = args[key];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) throw new ArgsError(`${key} must be a list of at least one object`);
  return value as Array<Record<string, unknown>>;
}

export function objectArg(args: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = args[key];
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ArgsError(`${key} must be an object`);
  return value as Record<string, unknown>;
}
