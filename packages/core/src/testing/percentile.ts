/**
 * The `p`th percentile (0–100) of `values` by the nearest-rank rule, for
 * benchmark scripts; `NaN` for no values. The input is not reordered.
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
