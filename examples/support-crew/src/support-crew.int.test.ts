import { testChromaUrl } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { runSupportCrew } from "./support-crew.js";

describe("support-crew", () => {
  it("merges the lesson the peers agree on, rejects the one that breaks their cases, and another member benefits", async () => {
    const lines: string[] = [];
    const result = await runSupportCrew({ chromaUrl: testChromaUrl(), print: (line) => lines.push(line) });

    // The first shift: billing fails the refund, everyone else succeeds.
    expect(result.firstShift.filter((task) => !task.success).map((task) => [task.member, task.toolCall?.args])).toEqual([["billing", { orderId: "1042" }]]);

    const [wrong, good] = result.proposals;
    // The over-general lesson fixes billing's case but breaks shipping's and technical's stored cases.
    expect(wrong).toMatchObject({ lessonId: "prefix-every-id", proposer: "billing", decision: "rejected", mergedAs: undefined });
    expect(wrong?.votes.map((vote) => vote.validator).sort()).toEqual(["shipping", "technical"]);
    // The first confirmed break decides under unanimity: each peer rejects on the breaks it had seen, and the replays still running are stopped.
    const brokenForReal = ["shipping-track_parcel-1", "shipping-track_parcel-2", "technical-check_device-3"];
    for (const vote of wrong?.votes ?? []) {
      expect(vote.decision).toBe("reject");
      expect(vote.breaks.length).toBeGreaterThan(0);
      expect(brokenForReal).toEqual(expect.arrayContaining(vote.breaks));
      expect(vote.fixes).toEqual(["billing-refund-must-pass"]);
      expect(vote.stoppedEarly).toMatch(/confirmed break already rejects/);
    }
    expect(lines.join("\n")).toMatch(/REJECTED \(unanimous\): .*breaks \d+ previously passing cases? — .*shipping-track_parcel-\d/);

    // The narrow lesson: approved by the two other members, the proposer does not vote.
    expect(good).toMatchObject({ lessonId: "order-id-prefix", proposer: "billing", decision: "approved", mergedAs: 1 });
    expect(good?.votes.map((vote) => [vote.validator, vote.decision, vote.fixes, vote.breaks])).toEqual([
      ["shipping", "approve", ["billing-refund-must-pass"], []],
      ["technical", "approve", ["billing-refund-must-pass"], []],
    ]);

    // Shipping, not the proposer, gets the lesson served and succeeds where it would have failed.
    expect(result.laterTask).toMatchObject({ member: "shipping", success: true, servedLessons: ["order-id-prefix"] });
    expect(result.laterTask.toolCall).toEqual({ name: "reship_order", args: { orderId: "ORD-2077" } });
    expect(result.laterTaskWithoutLessons).toEqual({ toolCall: { name: "reship_order", args: { orderId: "2077" } }, wouldSucceed: false });

    // Exactly one merge in the memory's history.
    const commits = result.history.filter((entry) => entry.kind === "commit");
    expect(commits).toHaveLength(1);
    expect(commits[0]?.reason).toContain('"order-id-prefix"');
  });
});
