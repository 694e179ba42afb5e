import "@lessonloop/chroma/testing";
import { describe, expect, inject, it } from "vitest";
import { runHumanApproval } from "./human-approval.js";

describe("human-approval example", () => {
  it("stops each significant lesson with its evidence; approve merges, reject leaves memory unchanged, edit merges the edited text", async () => {
    const lines: string[] = [];
    const { reviewed, history, live } = await runHumanApproval({ chromaUrl: inject("chromaUrl"), print: (line) => lines.push(line) });

    // Every lesson stopped the graph with the lesson, the ensemble's verdict and its evidence.
    expect(reviewed.map((entry) => [entry.lessonId, entry.request?.type, entry.request?.verdict.decision])).toEqual([
      ["gift-wrap-on-request", "lessonloop.lesson_review", "approved"],
      ["no-refunds-on-sale-items", "lessonloop.lesson_review", "approved"],
      ["refund-at-once", "lessonloop.lesson_review", "rejected"],
    ]);
    const [approved, rejected, edited] = reviewed;
    expect(approved?.request?.evidence.fixes.map((fix) => fix.caseId)).toEqual(["must-gift-4001"]);
    expect(approved?.request?.verdict.votes.map((vote) => vote.validator)).toEqual(["peer-a", "peer-b", "peer-c"]);
    expect(edited?.request?.evidence.breaks.map((entry) => entry.caseId).sort()).toEqual(["reg-refund-fit-2001", "reg-refund-mind-2002"]);

    // Approve → merged as v1.
    expect(approved?.verdict?.decision).toBe("approved");
    expect(approved?.mergeResult).toMatchObject({ status: "merged", lessonId: "gift-wrap-on-request", snapshot: { version: 1 } });
    // Reject → memory unchanged.
    expect(rejected?.verdict?.decision).toBe("rejected");
    expect(rejected?.mergeResult).toEqual({ status: "rejected", lessonId: "no-refunds-on-sale-items" });
    expect(rejected?.versionAfter).toBe(1);
    // Edit → validated again, merged as v2 with the edited text.
    expect(edited?.verdict?.decision).toBe("approved");
    expect(edited?.verdict?.reason).toMatch(/^The lesson was edited by a human reviewer and validated again/);
    expect(edited?.mergeResult).toMatchObject({ status: "merged", lessonId: "refund-at-once", snapshot: { version: 2 } });

    expect(history.map((snapshot) => [snapshot.version, snapshot.kind, snapshot.change.added])).toEqual([
      [2, "commit", ["refund-at-once"]],
      [1, "commit", ["gift-wrap-on-request"]],
      [0, "genesis", []],
    ]);
    expect(live.map((lesson) => lesson.id).sort()).toEqual(["gift-wrap-on-request", "refund-at-once"]);
    expect(live.find((lesson) => lesson.id === "refund-at-once")).toMatchObject({
      trigger: "a customer asks for a refund because the parcel arrived damaged",
      guidance: "refund the damaged order at once with issue_refund; do not ask the customer to send the broken item back",
    });
    expect(lines.join("\n")).toContain("⏸ interrupt(): review no-refunds-on-sale-items (constraint");
    expect(lines.join("\n")).toContain("memory unchanged (still v1)");
  });
});
