import type { Spread } from './stats.ts';

/** `152 (148–170)`: median, then min–max over the runs. */
export function show(s: Spread, digits = 1, unit = ''): string {
  if (s.runs === 0) return '—';
  const f = (n: number) => n.toFixed(digits);
  return s.runs === 1 ? `${f(s.median)}${unit}` : `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}

export function showRatio(s: Spread): string {
  return show(s, 2, '×');
}

/** A plain-text table: the first row is the header. */
export function printTable(title: string, rows: string[][]): void {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  const line = (r: string[]) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

/** Progress on stderr, so stdout stays the tables. */
export function progress(text: string): void {
  process.stderr.write(`  · ${text}\n`);
}

export function verdict(ok: boolean): 'pass' | 'miss' {
  return ok ? 'pass' : 'miss';
}
