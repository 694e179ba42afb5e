import { describe, expect, it } from "vitest";
import { fisherExactLowerTail } from "./fisher-exact-test.js";

/** The exact lower tail with BigInt binomials, as an oracle. */
function exactLowerTail(before: { successes: number; failures: number }, after: { successes: number; failures: number }): number {
  const choose = (n: number, k: number): bigint => {
    if (k < 0 || k > n) return 0n;
    let result = 1n;
    for (let i = 1; i <= k; i++) result = (result * BigInt(n - k + i)) / BigInt(i);
    return result;
  };
  const n1 = after.successes + after.failures;
  const total = n1 + before.successes + before.failures;
  const successes = before.successes + after.successes;
  let numerator = 0n;
  for (let x = 0; x <= after.successes; x++) numerator += choose(successes, x) * choose(total - successes, n1 - x);
  const denominator = choose(total, n1);
  // Twelve significant digits are plenty for comparing.
  const scale = 10n ** 15n;
  return Number((numerator * scale) / denominator) / 1e15;
}

describe("fisherExactLowerTail", () => {
  it("gives the classic lady-tasting-tea value, 17/70", () => {
    expect(fisherExactLowerTail({ successes: 3, failures: 1 }, { successes: 1, failures: 3 })).toBeCloseTo(17 / 70, 12);
  });

  it.each([
    [{ successes: 40, failures: 10 }, { successes: 20, failures: 30 }],
    [{ successes: 16, failures: 4 }, { successes: 15, failures: 5 }],
    [{ successes: 80, failures: 20 }, { successes: 75, failures: 25 }],
    [{ successes: 400, failures: 100 }, { successes: 330, failures: 170 }],
    [{ successes: 5, failures: 25 }, { successes: 20, failures: 10 }],
    [{ successes: 0, failures: 30 }, { successes: 0, failures: 30 }],
  ])("matches exact rational arithmetic for %o vs %o", (before, after) => {
    const expected = exactLowerTail(before, after);
    const actual = fisherExactLowerTail(before, after);
    expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(expected, 1e-30) + 1e-14);
  });

  it("is 1 when a group is empty, and rejects counts that are not whole numbers", () => {
    expect(fisherExactLowerTail({ successes: 10, failures: 0 }, { successes: 0, failures: 0 })).toBe(1);
    expect(() => fisherExactLowerTail({ successes: -1, failures: 0 }, { successes: 0, failures: 1 })).toThrow(/before.successes/);
    expect(() => fisherExactLowerTail({ successes: 1, failures: 0 }, { successes: 0.5, failures: 1 })).toThrow(/after.successes/);
  });
});
