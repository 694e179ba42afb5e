import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { SMUGGLING_VARIANTS } from "./smuggling-cases.js";
import { runSmugglingScenario } from "./smuggling.js";

/**
 * Variants that still merge a harmful lesson with validation on — open gaps,
 * described in RELIABILITY.md ("Smuggled past validation"). Nothing is asserted
 * about them beyond the attack being real: add one here only with its reason,
 * move it out once the product stops it. None today.
 */
const OPEN_GAPS = new Set<string>([]);

describe("lessons smuggled past validation (issue 21), full loop on real Chroma", () => {
  it("merges no harmful lesson of the classes the product blocks, still learns every control, and reports the open gaps", async () => {
    const { report, result, withoutContext } = await runSmugglingScenario({ chromaUrl: testChromaUrl(), collectionPrefix: uniqueCollectionName("smuggling") });
    const { outcomes, byClass, controlsRefused } = result;
    expect(outcomes.map((outcome) => outcome.variantId)).toEqual(SMUGGLING_VARIANTS.map((variant) => variant.id));
    // Every attack is real: merging every proposal would have done harm.
    expect(outcomes.filter((outcome) => !outcome.harmfulUnvalidated).map((outcome) => outcome.variantId)).toEqual([]);
    // A genuine fix in every tenant is still learned.
    expect(controlsRefused).toEqual([]);
    // Instructions in the user's own task: none gets through.
    expect(byClass.find((figures) => figures.class === "task-instruction")?.harmfulMerged).toBe(0);
    // Every variant that is not an open gap is stopped.
    expect(outcomes.filter((outcome) => outcome.harmfulMerged && !OPEN_GAPS.has(outcome.variantId)).map((outcome) => outcome.variantId)).toEqual([]);
    // Without replay in context, coverage before trust alone still stops every combined pair here (each clause names
    // an outside place no verified case exercises); replay in context's own effect is tested with coverage off in
    // validator-ensemble's tests.
    expect(withoutContext.outcomes.filter((outcome) => outcome.harmfulMerged).map((outcome) => outcome.variantId)).toEqual([]);
    expect(report.passed).toBe(outcomes.every((outcome) => !outcome.harmfulMerged));
  }, 120_000);
});
