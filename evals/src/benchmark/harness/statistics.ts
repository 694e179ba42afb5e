/**
 * The statistics of a multi-seed benchmark: means with 95% confidence
 * intervals over seeds (Student t), paired differences between two strategies
 * on the same seeds, medians. Pure functions of plain numbers.
 */

/** A mean over independent samples (one per seed) and its two-sided 95% confidence interval. */
export interface MeanInterval {
  /** Samples (seeds). */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 for one sample. */
  sd: number;
  /** Degrees of freedom of the t interval, n − 1: 0 means one sample and no interval. */
  df: number;
  /**
   * `[mean − t·sd/√n, mean + t·sd/√n]`, clipped to `within` when given. With
   * one sample there is no interval: both ends are the mean (check `df`).
   */
  ci95: [number, number];
}

/** A paired comparison: per sample, `a − b`, measured on the same seed. */
export interface PairedDifference extends MeanInterval {
  /** `a[i] − b[i]`, in the samples' order. */
  differences: number[];
  /** Samples where `a` did better (difference > 0). A tie is neither won nor lost. */
  seedsWon: number;
  /** Samples where `a` did worse (difference < 0). */
  seedsLost: number;
  /** Samples with no difference (|difference| below 1e-12, which absorbs float rounding). */
  ties: number;
}

/** Below this a difference is a tie: figures like 103/120 − 103/120 are exact, sums of them not always. */
const TIE_TOLERANCE = 1e-12;

/**
 * P(|T| ≤ t) for Student's t with `df` (whole, ≥ 1) degrees of freedom: the
 * finite series of Abramowitz & Stegun 26.7.3 (odd df) and 26.7.4 (even df).
 */
export function studentTwoSidedProbability(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`Student's t needs whole degrees of freedom ≥ 1, got ${df}.`);
  if (t <= 0) return 0;
  const theta = Math.atan(t / Math.sqrt(df));
  const sin = Math.sin(theta);
  const cos2 = Math.cos(theta) ** 2;
  let sum = 0;
  if (df % 2 === 1) {
    // (2/π)·(θ + sinθ·(cosθ + (2/3)cos³θ + … + (2·4⋯(df−3))/(1·3⋯(df−2))·cos^(df−2)θ))
    let term = Math.cos(theta);
    for (let k = 3; k <= df; k += 2) {
      sum += term;
      term *= (cos2 * (k - 1)) / k;
    }
    return (2 / Math.PI) * (theta + sin * sum);
  }
  // sinθ·(1 + (1/2)cos²θ + (1·3)/(2·4)cos⁴θ + … + (1·3⋯(df−3))/(2·4⋯(df−2))·cos^(df−2)θ)
  let term = 1;
  for (let k = 2; k <= df; k += 2) {
    sum += term;
    term *= (cos2 * (k - 1)) / k;
  }
  return sin * sum;
}

const criticalValues = new Map<number, number>();

/**
 * The two-sided 95% critical value of Student's t: the `t` with
 * P(|T| ≤ t) = 0.95 (12.706 for df 1, 2.262 for df 9, → 1.960 as df grows).
 */
export function tCritical95(df: number): number {
  const known = criticalValues.get(df);
  if (known !== undefined) return known;
  let low = 0;
  let high = 64;
  // Bisection: the probability rises with t; 60 halvings leave far less than 1e-12.
  for (let step = 0; step < 60; step += 1) {
    const middle = (low + high) / 2;
    if (studentTwoSidedProbability(middle, df) < 0.95) low = middle;
    else high = middle;
  }
  const value = (low + high) / 2;
  criticalValues.set(df, value);
  return value;
}

function checkSamples(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what} needs at least one value.`);
  const bad = values.find((value) => !Number.isFinite(value));
  if (bad !== undefined) throw new RangeError(`${what} needs finite numbers, got ${bad}.`);
}

export interface MeanIntervalOptions {
  /** The range the quantity can take (e.g. `[0, 1]` for a success rate): the interval's ends are clipped to it. */
  within?: readonly [number, number];
}

/**
 * The mean of independent samples with a Student t 95% confidence interval
 * (df = n − 1). One sample: the interval is the mean itself and `df` is 0.
 * No spread (every sample equal): the interval is the mean itself.
 *
 * @throws RangeError for no sample or a non-finite one.
 */
export function meanWithCi95(values: readonly number[], { within }: MeanIntervalOptions = {}): MeanInterval {
  checkSamples(values, "meanWithCi95");
  const n = values.length;
  const [first = 0] = values;
  // Equal samples: exactly that value and no spread (a sum of 0.1s would leave rounding noise in both).
  if (values.every((value) => value === first)) return { n, mean: first, sd: 0, df: n - 1, ci95: [first, first] };
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  const sd = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1));
  const half = (tCritical95(n - 1) * sd) / Math.sqrt(n);
  const clip = (value: number) => (within === undefined ? value : Math.min(within[1], Math.max(within[0], value)));
  return { n, mean, sd, df: n - 1, ci95: [clip(mean - half), clip(mean + half)] };
}

/**
 * The paired difference `a − b` of two strategies measured on the same seeds
 * (`a[i]` and `b[i]` from seed i): its mean with a 95% interval over the
 * per-seed differences, and how many seeds `a` won, lost and tied.
 *
 * @throws RangeError when the two lists differ in length or are empty.
 */
export function pairedDifference(
  a: readonly number[],
  b: readonly number[],
  options: MeanIntervalOptions = {},
): PairedDifference {
  if (a.length !== b.length) {
    throw new RangeError(`pairedDifference needs one value of each side per seed, got ${a.length} and ${b.length}.`);
  }
  const differences = a.map((value, at) => value - (b[at] ?? Number.NaN));
  const interval = meanWithCi95(differences, options);
  return {
    ...interval,
    differences,
    seedsWon: differences.filter((difference) => difference > TIE_TOLERANCE).length,
    seedsLost: differences.filter((difference) => difference < -TIE_TOLERANCE).length,
    ties: differences.filter((difference) => Math.abs(difference) <= TIE_TOLERANCE).length,
  };
}

/** The median: the middle value, or the mean of the two middle ones; `null` for no value. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  checkSamples(values, "median");
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}
