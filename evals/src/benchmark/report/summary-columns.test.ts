import { describe, expect, it } from "vitest";
import {
  formatLatency,
  formatMedianLatency,
  formatNeverRecovered,
  formatPointsInterval,
  formatRateInterval,
  formatSeeds,
  formatSeedsWon,
} from "./summary-columns.js";

describe("summary cells", () => {
  it("writes a rate with its interval in percent, and alone for one seed", () => {
    expect(formatRateInterval({ n: 10, mean: 0.8667, sd: 0.03, df: 9, ci95: [0.8452, 0.8881] })).toBe("86.7% [84.5, 88.8]");
    expect(formatRateInterval({ n: 1, mean: 0.5, sd: 0, df: 0, ci95: [0.5, 0.5] })).toBe("50.0%");
  });

  it("writes a paired difference in signed percentage points, zero unsigned", () => {
    expect(formatPointsInterval({ mean: 0.025, ci95: [-0.01, 0.06], df: 9 })).toBe("+2.5 pts [−1.0, +6.0]");
    expect(formatPointsInterval({ mean: -0.1, ci95: [-0.2, -0.0004], df: 4 })).toBe("−10.0 pts [−20.0, 0.0]");
    expect(formatPointsInterval({ mean: 0.05, ci95: [0.05, 0.05], df: 0 })).toBe("+5.0 pts");
  });

  it("counts seeds won, and names losses and ties only when there are some", () => {
    expect(formatSeedsWon({ n: 10, seedsWon: 7, seedsLost: 2, ties: 1 })).toBe("won 7 of 10 (lost 2, tied 1)");
    expect(formatSeedsWon({ n: 3, seedsWon: 3, seedsLost: 0, ties: 0 })).toBe("won 3 of 3");
  });

  it("writes seed runs as a range and other seed sets as a list", () => {
    expect(formatSeeds([1, 2, 3, 4])).toBe("1–4");
    expect(formatSeeds([1, 2, 5])).toBe("1, 2, 5");
    expect(formatSeeds([1, 2])).toBe("1, 2");
  });

  it("writes latencies: a count, ∞ never, – too few; pooled: the median and never of told", () => {
    expect(formatLatency({ driftAt: 0, change: "c", episodesToRecover: 3, affectedEpisodes: 9 })).toBe("3");
    expect(formatLatency({ driftAt: 0, change: "c", episodesToRecover: null, affectedEpisodes: 9 })).toBe("∞");
    expect(formatLatency({ driftAt: 0, change: "c", episodesToRecover: null, affectedEpisodes: 2 })).toBe("–");
    expect(formatMedianLatency({ median: 2.5, recovered: 4, neverRecovered: 1, tooFewToTell: 0 })).toBe("2.5");
    expect(formatMedianLatency({ median: null, recovered: 0, neverRecovered: 3, tooFewToTell: 0 })).toBe("–");
    expect(formatNeverRecovered({ median: 1, recovered: 6, neverRecovered: 2, tooFewToTell: 5 })).toBe("2/8");
    expect(formatNeverRecovered({ median: null, recovered: 0, neverRecovered: 0, tooFewToTell: 2 })).toBe("–");
  });
});
