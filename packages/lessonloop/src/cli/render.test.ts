import { LessonSchema } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import { lessonDetail } from "./render.js";

const at = "2026-01-01T00:00:00.000Z";
const lesson = (provenance: Record<string, unknown>) =>
  LessonSchema.parse({
    id: "invoice-cents-2",
    trigger: "create_invoice rejects amount",
    guidance: "Send amount_cents for invoices only.",
    rationale: "",
    kind: "recovery",
    scope: { tenant: "acme" },
    evidence: ["ep-1"],
    provenance: { agent: "learner", model: "scripted", proposedAt: at, ...provenance },
    status: "approved",
    createdAt: at,
  });

describe("lessonDetail", () => {
  it("links a repaired lesson to the rejected lesson it narrows, and says nothing of repair otherwise", () => {
    expect(lessonDetail(lesson({ repairOf: "invoice-cents-1" }), { status: "approved", version: 3 })).toMatch(
      /repair of\s+invoice-cents-1 \(rejected by the validators; this lesson narrows it\)/,
    );
    expect(lessonDetail(lesson({}), { status: "approved", version: 3 })).not.toContain("repair of");
  });

  it("prints the evidence of the automatic undo that retired a lesson", () => {
    const retiredBy = {
      version: 4,
      parent: 3,
      kind: "revert" as const,
      change: { added: [], retired: ["invoice-cents-2"] },
      reason: "Regression after merge v3",
      author: "regression-monitor",
      createdAt: at,
      evidence: {
        test: "fisher-exact-one-sided" as const,
        before: { version: 2, successes: 40, failures: 10, unknown: 0, episodes: 50, rate: 0.8 },
        after: { version: 3, successes: 8, failures: 12, unknown: 1, episodes: 20, rate: 0.4 },
        drop: 0.4,
        pValue: 0.00123,
        look: 0,
        lookAlpha: 0.025,
        scope: { tenant: "acme" },
        thresholds: { alpha: 0.05, minEpisodes: 20, minDrop: 0.1 },
        decision: "regressed" as const,
        lessons: ["invoice-cents-2"],
      },
    };
    expect(lessonDetail(lesson({}), { status: "retired", version: 4, retiredBy })).toMatch(
      /regression\s+v2 40\/50 \(80\.0%\) → v3 8\/20 \(40\.0%\), one-sided Fisher exact p=0\.00123 ≤ 0\.0250 at look 0, runs in acme; took out invoice-cents-2/,
    );
  });
});
