import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { runValidatorFaults } from "./validator-faults.js";

describe("validators that error, hang or return garbage", () => {
  it("the ensemble ends within its bound, failed validators abstain, the verdict follows the policy", async () => {
    const { report, runs } = await runValidatorFaults({ chromaUrl: testChromaUrl(), collectionPrefix: uniqueCollectionName("validator-faults"), timeoutMs: 100 });
    expect(runs.filter((run) => run.decision !== run.expected || !run.abstentionsRight)).toEqual([]);
    expect(runs.filter((run) => run.ms > run.boundMs)).toEqual([]);
    expect(report.figures["hangsNotAborted"]).toBe(0);
    // Megabyte outputs are clipped: a verdict stays small.
    expect(report.figures["maxVerdictBytes"]).toBeLessThan(200_000);
    // Both decisions occur, so the grid is not trivially all-rejected.
    expect(new Set(runs.map((run) => run.decision))).toEqual(new Set(["approved", "rejected"]));
    // Early stop happens in the grid (never with it off), so the stopped votes' rule is exercised.
    expect(runs.filter((run) => !run.earlyStop && run.votesStoppedEarly > 0)).toEqual([]);
    expect(runs.filter((run) => run.earlyStop && run.votesStoppedEarly > 0).length).toBeGreaterThan(0);
  }, 120_000);
});
