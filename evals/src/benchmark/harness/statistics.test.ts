import { describe, expect, it } from "vitest";
import { meanWithCi95, median, pairedDifference, studentTwoSidedProbability, tCritical95 } from "./statistics.js";

describe("studentTwoSidedProbability", () => {
  it("matches closed forms: df 1 is Cauchy, df 2 is t/√(t²+2)", () => {
    // Cauchy: P(|T| ≤ 1) = 2·atan(1)/π = 1/2.
    expect(studentTwoSidedProbability(1, 1)).toBeCloseTo(0.5, 12);
    expect(studentTwoSidedProbability(3, 2)).toBeCloseTo(3 / Math.sqrt(11), 12);
    expect(studentTwoSidedProbability(0, 5)).toBe(0);
  });

  it("rejects degrees of freedom that are not whole and positive", () => {
    expect(() => studentTwoSidedProbability(1, 0)).toThrow(RangeError);
    expect(() => studentTwoSidedProbability(1, 2.5)).toThrow(RangeError);
  });
});

describe("tCritical95", () => {
  it("gives the textbook two-sided 95% values", () => {
    // Student t tables: df 1 → 12.706, 2 → 4.303, 4 → 2.776, 9 → 2.262, 10 → 2.228, 30 → 2.042.
    for (const [df, t] of [
      [1, 12.706],
      [2, 4.303],
      [4, 2.776],
      [9, 2.262],
      [10, 2.228],
      [30, 2.042],
    ] as const) {
      expect(tCritical95(df), `df ${df}`).toBeCloseTo(t, 3);
    }
    // Towards the normal distribution's 1.960.
    expect(tCritical95(2000)).toBeCloseTo(1.961, 3);
  });
});

describe("meanWithCi95", () => {
  it("computes mean, sd and the t interval of three samples", () => {
    // mean 0.6, sd 0.1, se 0.1/√3 = 0.057735, t(2) = 4.302653 → half-width 0.248414.
    const interval = meanWithCi95([0.5, 0.6, 0.7]);
    expect(interval.n).toBe(3);
    expect(interval.df).toBe(2);
    expect(interval.mean).toBeCloseTo(0.6, 12);
    expect(interval.sd).toBeCloseTo(0.1, 12);
    expect(interval.ci95[0]).toBeCloseTo(0.351586, 5);
    expect(interval.ci95[1]).toBeCloseTo(0.848414, 5);
  });

  it("computes the interval of ten samples with df 9", () => {
    // 1..10: mean 5.5, variance 110/12, sd 3.027650, se 0.957427, t(9) = 2.262157 → half-width 2.165852.
    const interval = meanWithCi95([3, 1, 4, 10, 5, 9, 2, 6, 8, 7]);
    expect(interval.mean).toBe(5.5);
    expect(interval.sd).toBeCloseTo(3.02765, 5);
    expect(interval.ci95[0]).toBeCloseTo(3.334148, 5);
    expect(interval.ci95[1]).toBeCloseTo(7.665852, 5);
  });

  it("has no interval for one sample and a zero-width one without spread", () => {
    expect(meanWithCi95([0.8])).toEqual({ n: 1, mean: 0.8, sd: 0, df: 0, ci95: [0.8, 0.8] });
    expect(meanWithCi95([0.25, 0.25, 0.25, 0.25])).toEqual({ n: 4, mean: 0.25, sd: 0, df: 3, ci95: [0.25, 0.25] });
    // 0.1 + 0.1 + 0.1 is 0.30000000000000004 in floats: equal samples must not leave that noise.
    expect(meanWithCi95([0.1, 0.1, 0.1])).toEqual({ n: 3, mean: 0.1, sd: 0, df: 2, ci95: [0.1, 0.1] });
  });

  it("clips the interval, not the mean, to the quantity's range", () => {
    // mean 0.95, sd 0.070711, se 0.05, t(1) = 12.706 → raw interval [0.315, 1.585].
    const interval = meanWithCi95([0.9, 1], { within: [0, 1] });
    expect(interval.mean).toBeCloseTo(0.95, 12);
    expect(interval.ci95[0]).toBeCloseTo(0.314690, 5);
    expect(interval.ci95[1]).toBe(1);
  });

  it("refuses no samples and non-finite ones", () => {
    expect(() => meanWithCi95([])).toThrow(RangeError);
    expect(() => meanWithCi95([1, Number.NaN])).toThrow(RangeError);
  });
});

describe("pairedDifference", () => {
  it("differences per seed, their interval, and seeds won, lost and tied", () => {
    // Differences 0.1, 0.2, 0, −0.1, 0.3: mean 0.1, sd 0.158114, se 0.070711, t(4) = 2.776445 → ±0.196324.
    const paired = pairedDifference([0.8, 0.9, 0.7, 0.6, 1.0], [0.7, 0.7, 0.7, 0.7, 0.7]);
    expect(paired.differences.map((d) => Number(d.toFixed(10)))).toEqual([0.1, 0.2, 0, -0.1, 0.3]);
    expect(paired.mean).toBeCloseTo(0.1, 12);
    expect(paired.ci95[0]).toBeCloseTo(-0.096324, 5);
    expect(paired.ci95[1]).toBeCloseTo(0.296324, 5);
    expect([paired.seedsWon, paired.seedsLost, paired.ties]).toEqual([3, 1, 1]);
  });

  it("counts a difference lost to float rounding as a tie", () => {
    const paired = pairedDifference([0.1 + 0.2], [0.3]);
    expect(paired.differences[0]).not.toBe(0);
    expect([paired.seedsWon, paired.seedsLost, paired.ties]).toEqual([0, 0, 1]);
  });

  it("is the interval of the differences, narrower than the sides' own when they move together", () => {
    const a = [0.5, 0.7, 0.9];
    const b = [0.4, 0.6, 0.8];
    const paired = pairedDifference(a, b);
    expect(paired.ci95[0]).toBeCloseTo(0.1, 12);
    expect(paired.ci95[1]).toBeCloseTo(0.1, 12);
    const [low, high] = meanWithCi95(a).ci95;
    expect(high - low).toBeGreaterThan(0.5);
  });

  it("refuses sides of different lengths", () => {
    expect(() => pairedDifference([1, 2], [1])).toThrow(RangeError);
  });
});

describe("median", () => {
  it("takes the middle value, or the mean of the two middle ones, whatever the order", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });
});
