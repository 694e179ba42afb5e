import type { EdgeCaseInput } from "../edge-case.js";
import type { Scope } from "../scope.js";
import type { VerdictSchema } from "../verdict.js";
import type { z } from "zod";

const FIXED_TIME = "2026-01-01T00:00:00.000Z";

/** A verdict on `lessonId` with one vote carrying per-case evidence (`case-1`), decided at a fixed time. */
export function verdictFixture(lessonId: string, decision: "approved" | "rejected" = "approved"): z.input<typeof VerdictSchema> {
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

/** A `must_pass` edge case of tenant `acme` about refunding order `id`; override what the test is about. */
export function edgeCaseFixture(id: string, overrides: Partial<EdgeCaseInput> = {}): EdgeCaseInput {
  const scope: Scope = overrides.scope ?? { tenant: "acme" };
  return {
    id,
    input: `refund order ${id}`,
    check: { type: "answer", mustContain: ["refund"] },
    kind: "must_pass",
    createdAt: FIXED_TIME,
    ...overrides,
    scope,
  };
}
