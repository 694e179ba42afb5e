import type { CaseEvidence } from "@lessonloop/core/internal";

/** The case passed without the lesson and failed with it. */
export function showsBreak(evidence: Pick<CaseEvidence, "passedWithout" | "passedWith">): boolean {
  return evidence.passedWithout === true && evidence.passedWith === false;
}

/** A break that may veto: seen, and not re-checked into doubt (a re-check that could not run leaves it standing). */
export function countsAsBreak(evidence: CaseEvidence): boolean {
  return showsBreak(evidence) && evidence.confirmation?.confirmed !== false;
}

/** The case gave its answer: both replays ran, or the one with the lesson did and the one without was not needed. */
export function wasReplayed(evidence: Pick<CaseEvidence, "passedWithout" | "passedWith" | "withoutSkipped">): boolean {
  return evidence.passedWith !== null && (evidence.passedWithout !== null || evidence.withoutSkipped === true);
}

/** It failed without the lesson and passed with it. */
export function showsFix(evidence: Pick<CaseEvidence, "passedWithout" | "passedWith">): boolean {
  return evidence.passedWithout === false && evidence.passedWith === true;
}
