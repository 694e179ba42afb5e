import type { EdgeCaseInput, VerdictSchema } from "@lessonloop/core";
import type { z } from "zod";

/** Fixtures for the pending-lesson and verdict stores and the CLI tests. */

export const FIXED_TIME = "2026-01-01T00:00:00.000Z";

/** A verdict on `lessonId` with one vote carrying per-case evidence. */
export function verdictFor(lessonId: string, decision: "approved" | "rejected" = "approved"): z.input<typeof VerdictSchema> {
  return {
    lessonId,
    decision,
    policy: { name: "majority", quorum: 2, threshold: 0.5 },
    tally: { approve: decision === "approved" ? 2 : 0, reject: decision === "approved" ? 0 : 2, abstain: 1 },
    votes: [
      {
        validator: "alpha",
        lessonId,
        decision: decision === "approved" ? "approve" : "reject",
        reason: "replayed the refund case",
        evidence: [{ caseId: "case-1", passedWithout: false, passedWith: decision === "approved" }],
        model: "scripted",
        castAt: FIXED_TIME,
      },
    ],
    reason: "fixes case-1, breaks nothing",
    decidedAt: FIXED_TIME,
  };
}

/** A `must_pass` edge case of tenant `acme`. */
export function edgeCaseFixture(id: string): EdgeCaseInput {
  return {
    id,
    input: `refund order ${id}`,
    check: { type: "answer", mustContain: ["refund"] },
    kind: "must_pass",
    scope: { tenant: "acme" },
    createdAt: FIXED_TIME,
  };
}
