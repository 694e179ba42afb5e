/** Successes and failures of one group of runs. */
export interface SuccessCounts {
  successes: number;
  failures: number;
}

// Lanczos approximation (g = 7, n = 9): relative error below 1e-15 for z > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/** ln Γ(z) for z ≥ 1. */
function lnGamma(z: number): number {
  const x0 = z - 1;
  let sum: number = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (x0 + i);
  const t = x0 + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x0 + 0.5) * Math.log(t) - t + Math.log(sum);
}

const lnChoose = (n: number, k: number): number => lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);

function assertCounts(counts: SuccessCounts, name: string): void {
  for (const [field, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`fisherExactLowerTail: ${name}.${field} must be a whole number ≥ 0, got ${String(value)}.`);
    }
  }
}

/**
 * One-sided Fisher's exact test: the probability, if both groups had the same
 * success rate, of `after` having as few successes as it has or fewer, given
 * the table's margins (hypergeometric lower tail). A small value is evidence
 * that `after`'s rate is lower than `before`'s. Exact for any sample size, so
 * it needs no large-sample rule of thumb; 1 when either group is empty.
 */
export function fisherExactLowerTail(before: SuccessCounts, after: SuccessCounts): number {
  assertCounts(before, "before");
  assertCounts(after, "after");
  const n1 = after.successes + after.failures;
  const total = before.successes + before.failures + n1;
  const successes = before.successes + after.successes;
  const failures = total - successes;
  if (n1 === 0 || n1 === total) return 1;
  const lowest = Math.max(0, n1 - failures);
  const lnTotal = lnChoose(total, n1);
  // ln P(X = x) for x = lowest … after.successes, summed relative to the largest term.
  const logTerms: number[] = [];
  let largest = Number.NEGATIVE_INFINITY;
  for (let x = lowest; x <= after.successes; x++) {
    const term = lnChoose(successes, x) + lnChoose(failures, n1 - x) - lnTotal;
    logTerms.push(term);
    if (term > largest) largest = term;
  }
  let sum = 0;
  for (const term of logTerms) sum += Math.exp(term - largest);
  return Math.min(1, Math.max(0, Math.exp(largest) * sum));
}
