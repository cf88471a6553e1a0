/** The only place that writes to the terminal: commands print through these. */
export const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : text + '\n');
export const err = (text: string): void => void process.stderr.write(text.endsWith('\n') ? text : text + '\n');

/** Columns padded to their widest cell; for `status`. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
