import { LessonloopError, type Vote } from "@lessonloop/core";
import { type CaseEvidence } from "@lessonloop/core/internal";
import { rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { majority, supermajority, unanimous, weighted, type ConsensusPolicy } from "./consensus-policy.js";
import { vote } from "./tests/fixtures.js";

const approve = (id: string, evidence: CaseEvidence[] = []) => vote(id, "approve", evidence);
const reject = (id: string) => vote(id, "reject");
const abstain = (id: string) => vote(id, "abstain");
const broke = (caseId: string): CaseEvidence => ({ caseId, passedWithout: true, passedWith: false });
const fixed = (caseId: string): CaseEvidence => ({ caseId, passedWithout: false, passedWith: true });

/**
 * What every policy must do, whatever its threshold: the conformance suite of
 * the `ConsensusPolicy` interface, run against each implementation.
 */
describe.each<[string, () => ConsensusPolicy]>([
  ["majority", () => majority({ quorum: 2 })],
  ["supermajority", () => supermajority({ quorum: 2 })],
  ["unanimous", () => unanimous({ quorum: 2 })],
  ["weighted", () => weighted({ quorum: 2 })],
])("every policy (%s)", (_name, create) => {
  const policy = create();

  it("states its parameters", () => {
    expect(policy.quorum).toBe(2);
    expect(policy.threshold).toBeGreaterThanOrEqual(0.5);
    expect(policy.threshold).toBeLessThanOrEqual(1);
    expect(policy.allowRegressions).toBe(false);
  });

  it("approves when every vote approves, and tallies the votes", () => {
    const outcome = policy.decide([approve("a"), approve("b"), abstain("c")]);
    expect(outcome.decision).toBe("approved");
    expect(outcome.tally).toEqual({ approve: 2, reject: 0, abstain: 1 });
    expect(outcome.reason).toMatch(/^Approved under /);
  });

  it("rejects when every vote rejects", () => {
    expect(policy.decide([reject("a"), reject("b")]).decision).toBe("rejected");
  });

  it("rejects without a quorum, however the few votes went; abstentions do not count toward it", () => {
    for (const votes of [[], [approve("a")], [approve("a"), abstain("b"), abstain("c"), abstain("d")]]) {
      const outcome = policy.decide(votes);
      expect(outcome.decision).toBe("rejected");
      expect(outcome.reason).toContain("no quorum");
    }
  });

  it("rejects a tie, by the stated rule", () => {
    const outcome = policy.decide([approve("a"), reject("b"), abstain("c")]);
    expect(outcome.decision).toBe("rejected");
  });

  it("rejects a lesson whose votes show a break, even when every vote approves", () => {
    const outcome = policy.decide([approve("a", [fixed("must-1"), broke("reg-1")]), approve("b"), approve("c")]);
    expect(outcome.decision).toBe("rejected");
    expect(outcome.reason).toContain("reg-1 (seen by a)");
  });

  it("does not depend on the order of the votes", () => {
    const votes: Vote[] = [approve("a"), approve("b"), reject("c"), abstain("d"), approve("e")];
    expect(policy.decide(votes).decision).toBe(policy.decide([...votes].reverse()).decision);
  });
});

describe("majority", () => {
  it("approves with more approvals than rejections, abstentions left out", () => {
    expect(majority().decide([approve("a"), approve("b"), reject("c")]).decision).toBe("approved");
    expect(majority().decide([approve("a"), reject("b"), reject("c")]).decision).toBe("rejected");
    // 2 of 2 decisive votes: abstentions never dilute a majority.
    const outcome = majority({ quorum: 2 }).decide([approve("a"), approve("b"), abstain("c"), abstain("d"), abstain("e")]);
    expect(outcome.decision).toBe("approved");
    expect(outcome.reason).toBe("Approved under majority: 100% of the approve-or-reject votes approve, reaching a majority (more than 1/2) (2 approve, 0 reject, 3 abstain).");
  });

  it("rejects a tie because memory changes need a positive majority", () => {
    const outcome = majority().decide([approve("a"), approve("b"), reject("c"), reject("d")]);
    expect(outcome.decision).toBe("rejected");
    expect(outcome.reason).toContain("a tie is rejected because a change of memory needs a positive majority");
  });

  it("lets a break through only when the policy allows regressions, and says so", () => {
    const votes = [approve("a", [fixed("must-1"), fixed("must-2"), broke("reg-1")]), approve("b"), reject("c")];
    expect(majority().decide(votes).decision).toBe("rejected");
    const allowed = majority({ allowRegressions: true }).decide(votes);
    expect(allowed.decision).toBe("approved");
    expect(allowed.reason).toContain("Regressions were allowed by the policy: reg-1 (seen by a)");
  });

  it("counts a break seen by an abstaining validator too", () => {
    const abstainedOnBreak = vote("c", "abstain", [broke("reg-1"), { caseId: "reg-2", passedWithout: null, passedWith: null }]);
    expect(majority().decide([approve("a"), approve("b"), abstainedOnBreak]).decision).toBe("rejected");
  });

  it("refuses a quorum below 1", async () => {
    const error = await rejectionOf(async () => majority({ quorum: 0 }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("quorum: must be at least 1");
  });
});

describe("supermajority", () => {
  it("needs two thirds by default", () => {
    const policy = supermajority();
    expect(policy.threshold).toBeCloseTo(2 / 3);
    expect(policy.decide([approve("a"), approve("b"), reject("c")]).decision).toBe("approved");
    const short = policy.decide([approve("a"), approve("b"), approve("c"), reject("d"), reject("e"), abstain("f")]);
    expect(short.decision).toBe("rejected");
    expect(short.reason).toContain("60% of the approve-or-reject votes approve, short of the supermajority threshold of 66.7%");
  });

  it("takes its threshold as a parameter, above one half", async () => {
    const policy = supermajority({ threshold: 0.75 });
    expect(policy.decide([approve("a"), approve("b"), reject("c")]).decision).toBe("rejected");
    expect(policy.decide([approve("a"), approve("b"), approve("c"), reject("d")]).decision).toBe("approved");
    const error = await rejectionOf(async () => supermajority({ threshold: 0.5 }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
  });
});

describe("unanimous", () => {
  it("approves only when no one rejects; abstentions do not block it", () => {
    expect(unanimous().decide([approve("a"), approve("b"), abstain("c")]).decision).toBe("approved");
    const vetoed = unanimous().decide([approve("a"), approve("b"), approve("c"), reject("d")]);
    expect(vetoed.decision).toBe("rejected");
    expect(vetoed.reason).toContain("short of unanimity");
  });

  it("still needs its quorum", () => {
    const outcome = unanimous({ quorum: 3 }).decide([approve("a"), approve("b"), abstain("c")]);
    expect(outcome.decision).toBe("rejected");
    expect(outcome.reason).toContain("no quorum — 2 approve-or-reject votes, 3 needed");
  });
});

describe("weighted", () => {
  const records: Record<string, number> = { expert: 0.9, novice: 0.2, rookie: 0.3 };
  const trackRecord = (id: string) => records[id] ?? 0.5;

  it("weighs each vote by the validator's track record", () => {
    const votes = [approve("expert"), reject("novice"), reject("rookie")];
    expect(majority().decide(votes).decision).toBe("rejected");
    const outcome = weighted({ trackRecord }).decide(votes);
    expect(outcome.decision).toBe("approved");
    expect(outcome.reason).toContain("by weight 0.9 to 0.5");
    expect(outcome.tally).toEqual({ approve: 1, reject: 2, abstain: 0 });
  });

  it("is neutral by default: every track record is 1", () => {
    expect(weighted().decide([approve("expert"), reject("novice"), reject("rookie")]).decision).toBe("rejected");
  });

  it("multiplies the validator's own weight in", () => {
    const weights: Record<string, number> = { expert: 1, novice: 3, rookie: 1 };
    const outcome = weighted({ trackRecord }).decide([approve("expert"), reject("novice"), reject("rookie")], {
      weightOf: (id) => weights[id] ?? 1,
    });
    // 0.9 against 3 × 0.2 + 0.3 = 0.9: a tie.
    expect(outcome.decision).toBe("rejected");
    expect(outcome.reason).toContain("a tie by weight 0.9 to 0.9");
  });

  it("rejects when no vote carries weight", () => {
    const outcome = weighted({ trackRecord: () => 0 }).decide([approve("a"), approve("b")]);
    expect(outcome.decision).toBe("rejected");
    expect(outcome.reason).toContain("carry no weight");
  });

  it("applies its threshold to the share of weight", () => {
    const policy = weighted({ trackRecord, threshold: 0.7 });
    // expert 0.9 of 0.9 + 0.3 = 75%.
    expect(policy.decide([approve("expert"), reject("rookie")]).decision).toBe("approved");
    // expert 0.9 of 0.9 + 0.2 + 0.3 = 64%.
    expect(policy.decide([approve("expert"), reject("rookie"), reject("novice")]).decision).toBe("rejected");
  });

  it("refuses a track record outside [0, 1] with a typed error naming the validator", async () => {
    const error = await rejectionOf(async () => weighted({ trackRecord: () => 1.5 }).decide([approve("a")]));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain('The trackRecord of validator "a" is 1.5');
  });
});
