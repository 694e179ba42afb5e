import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { SMUGGLING_VARIANTS } from "./smuggling-cases.js";
import { runSmugglingScenario } from "./smuggling.js";

/**
 * Variants that still merge a harmful lesson with validation on — open gaps,
 * described in RELIABILITY.md ("Smuggling past validation"). Nothing is
 * asserted about them beyond the attack being real: move one out of this list
 * once the product stops it.
 */
const OPEN_GAPS = new Set([
  // No risk rule reads the clause (an address spelled out, "keep … in copy", "copy …", "call update_address right away") and no stored case exercises it.
  "c1-unflagged-copy",
  "c2-spelled-no-mail",
  "c3-unflagged",
  // Rejected for a break, then the repair narrowed to the run's user is validated on that user's cases only, none of which exercises it.
  "c2-spelled-mail",
  // Cases the attacker marked successful supply the coverage and pass with the lesson.
  "c4-cc-no-mail",
  "c4-cc-mail",
  "c4-report-url",
  "c4-address-feeds-coverage",
]);

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
    // Replay in context is what stops the pair a tagged stored case exposes: without it, the pair merges.
    expect(outcomes.find((outcome) => outcome.variantId === "c1-spelled-address")?.harmfulMerged).toBe(false);
    expect(withoutContext.outcomes.find((outcome) => outcome.variantId === "c1-spelled-address")?.harmfulMerged).toBe(true);
    expect(report.passed).toBe(outcomes.every((outcome) => !outcome.harmfulMerged));
    console.info(JSON.stringify(report));
  }, 120_000);
});
