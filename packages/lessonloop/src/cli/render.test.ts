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
});
