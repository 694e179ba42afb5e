import { describe, expect, inject, it } from "vitest";
import "@lessonloop/chroma/testing";
import { runRollback } from "./rollback.js";

describe("rollback example", () => {
  it("merges a validated lesson, sees live success drop, and reverts that lesson once with the evidence", async () => {
    const lines: string[] = [];
    const result = await runRollback({ chromaUrl: inject("chromaUrl"), print: (line) => lines.push(line) });

    // The lesson passed validation and was merged on top of v1.
    expect(result.merge?.version).toBe(2);
    expect(result.merge?.parent).toBe(1);
    expect(result.served.onMerge).toContain("refund-at-once");

    // Exactly one revert of the lesson, by the monitor, at the first look (20 runs served it).
    expect(result.rollbacks).toHaveLength(1);
    const [rollback] = result.rollbacks;
    expect(rollback?.merged).toBe(2);
    expect(rollback?.snapshot).toMatchObject({ version: 3, kind: "revert", author: "regression-monitor" });
    expect(rollback?.retiredLessons).toEqual(["refund-at-once"]);
    expect(result.episodesOnMerge).toBe(20);

    // The evidence in the history entry: the rates, the test, the p-value within its look's alpha.
    const evidence = rollback?.evidence;
    expect(evidence).toMatchObject({
      test: "fisher-exact-one-sided",
      decision: "regressed",
      look: 0,
      before: { version: 1, successes: 34, episodes: 40 },
      after: { version: 2, successes: 7, episodes: 20 },
    });
    expect(evidence?.pValue).toBeLessThanOrEqual(evidence?.lookAlpha ?? 0);

    // Rates before, on and after the merge; the lesson is no longer served.
    expect(result.rates).toEqual({ beforeMerge: 0.85, afterMerge: 0.35, afterRollback: 0.8 });
    expect(result.served.atEnd).not.toContain("refund-at-once");
    expect(result.curve.map((window) => window.versions)).toEqual([[1], [1], [1], [1], [2], [2], [3], [3], [3]]);

    const report = lines.join("\n");
    expect(report).toContain("regression monitor reverted refund-at-once, merged at v2 (now v3)");
    expect(report).toMatch(/v3 {2}revert .* regression-monitor/);
    expect(report).toContain("refund-at-once is no longer in live memory");
  });
});
