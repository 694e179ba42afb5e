import type { CaseEvidence } from "@lessonloop/core/internal";

/** The case passed without the lesson and failed with it. */
export function showsBreak(evidence: Pick<CaseEvidence, "passedWithout" | "passedWith">): boolean {
  return evidence.passedWithout === true && evidence.passedWith === false;
}

/** A break that may veto: seen, and not re-checked into doubt (a re-check that could not run leaves it standing). */
export function countsAsBreak(evidence: CaseEvidence): boolean {
  return showsBreak(evidence) && evidence.confirmation?.confirmed !== false;
}
