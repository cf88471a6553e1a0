/** The spread of one figure over repeated runs: these machines are noisy, so never one number alone. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, runs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: percentile(sorted, 50), max: sorted[sorted.length - 1]!, runs: values.length };
}

/** Linear interpolation between closest ranks (p in 0..100), over any order of values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : sum(values) / values.length;
}

/** Ratios are taken run by run (each figure against the baseline measured beside it), then spread. */
export function ratios(figures: number[], baselines: number[]): Spread {
  return spread(figures.map((f, i) => f / baselines[i]!));
}
