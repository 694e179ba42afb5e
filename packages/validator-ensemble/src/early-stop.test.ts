import type { EdgeCase, Vote } from "@lessonloop/core";
import type { CaseEvidence } from "@lessonloop/core/internal";
import { createSeededRandom, type SeededRandom } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { majority, supermajority, unanimous, weighted, type ConsensusPolicy } from "./consensus-policy.js";
import { decidedEarly, possibleVotes, type PendingValidator } from "./early-stop.js";
import { FIXED_TIME, SCOPE } from "./tests/fixtures.js";
import { decideStoppedVote, decideVote, type ReplayedCase, type VoteRules } from "./validator.js";

const edgeCaseOf = (id: string, kind: EdgeCase["kind"]): EdgeCase => ({
  id,
  input: `task ${id}`,
  check: { type: "answer", mustContain: ["x"], mustNotContain: [] },
  kind,
  scope: SCOPE,
  tags: [],
  createdAt: FIXED_TIME,
});

const outcome = (random: SeededRandom): boolean | null => (random.chance(0.08) ? null : random.chance(0.6));

/** A random full run: for each validator, what each case showed with and without the lesson (sometimes a break re-checked away). */
function randomRun(random: SeededRandom, validators: number) {
  const cases = [
    ...Array.from({ length: random.int(1, 2) }, (_, index) => edgeCaseOf(`must-${index}`, "must_pass")),
    ...Array.from({ length: random.int(0, 5) }, (_, index) => edgeCaseOf(`reg-${index}`, "regression")),
  ];
  // Mostly helpful lessons with rare breaks, so approvals, rejections and abstentions all occur.
  const helpful = random.chance(0.6);
  const evidence = new Map<string, CaseEvidence[]>();
  for (let index = 0; index < validators; index++) {
    evidence.set(
      `v${index}`,
      cases.map((edgeCase): CaseEvidence => {
        const must = edgeCase.kind === "must_pass";
        const passedWithout = must ? (random.chance(0.9) ? false : outcome(random)) : random.chance(0.95) ? true : outcome(random);
        const passedWith = random.chance(helpful ? 0.93 : 0.6) ? true : outcome(random);
        const entry: CaseEvidence = { caseId: edgeCase.id, passedWithout, passedWith };
        if (passedWithout === true && passedWith === false && random.chance(0.4)) entry.confirmation = { by: "other", confirmed: random.chance(0.5) ? false : true };
        return entry;
      }),
    );
  }
  return { cases, evidence };
}

/** A validator's vote on the cases it replayed: at its end, or when stopped because the verdict was decided. */
function voteOf(validator: string, cases: readonly EdgeCase[], evidence: readonly CaseEvidence[], rules: VoteRules, stopped = false): Vote {
  const replayed: ReplayedCase[] = evidence.map((entry) => ({ edgeCase: cases.find((edgeCase) => edgeCase.id === entry.caseId) as EdgeCase, evidence: entry }));
  const { decision } = stopped ? decideStoppedVote(replayed, rules) : decideVote(replayed, rules);
  return { validator, lessonId: "lesson-1", decision, reason: "", evidence: [...evidence], castAt: FIXED_TIME };
}

const POLICIES: [string, () => ConsensusPolicy][] = [
  ["majority", () => majority({ quorum: 2 })],
  ["majority, quorum 1", () => majority()],
  ["supermajority", () => supermajority({ quorum: 2 })],
  ["unanimous", () => unanimous({ quorum: 3 })],
  ["weighted", () => weighted({ quorum: 2, trackRecord: (id) => (id === "v0" ? 0.9 : id === "v1" ? 0.5 : 0.7) })],
  ["majority, regressions allowed", () => majority({ quorum: 2, allowRegressions: true })],
  ["supermajority, regressions allowed", () => supermajority({ quorum: 1, allowRegressions: true, threshold: 0.75 })],
];

describe.each(POLICIES)("early stop under %s", (_name, create) => {
  const policy = create();
  const rules: VoteRules = { allowRegressions: policy.allowRegressions, minRunShare: 0.5 };

  it("reaches the decision the full run reaches, over 400 random vote streams, and stops early on some", () => {
    let stoppedEarly = 0;
    const decisions = new Set<string>();
    for (let seed = 0; seed < 400; seed++) {
      const random = createSeededRandom(seed + 1);
      const validators = random.int(1, 5);
      const { cases, evidence } = randomRun(random, validators);
      const ids = [...evidence.keys()];
      const full = policy.decide(ids.map((id) => voteOf(id, cases, evidence.get(id) ?? [], rules))).decision;
      decisions.add(full);

      // Results arrive in a random interleaving, each validator's cases in order; the ensemble checks after each.
      const next = new Map(ids.map((id) => [id, 0]));
      const finished: Vote[] = [];
      const pending = new Map<string, PendingValidator>(ids.map((id) => [id, { validator: id, cases, evidence: [] }]));
      let early: string | undefined;
      while (pending.size > 0) {
        const id = random.pick([...pending.keys()]);
        const at = next.get(id) ?? 0;
        const state = pending.get(id) as PendingValidator;
        state.evidence = [...state.evidence, (evidence.get(id) ?? [])[at] as CaseEvidence];
        next.set(id, at + 1);
        if (at + 1 === cases.length) {
          pending.delete(id);
          finished.push(voteOf(id, cases, state.evidence, rules));
        }
        const check = decidedEarly({ policy, finished, pending: [...pending.values()], lessonId: "lesson-1" });
        if (check.decided) {
          early = check.reason;
          break;
        }
      }
      if (early === undefined) continue;
      stoppedEarly += 1;
      // Each validator still replaying votes as a stopped validator does; the verdict must not change.
      const cut = [...finished, ...[...pending.values()].map((state) => voteOf(state.validator, cases, state.evidence, rules, true))];
      expect(policy.decide(cut).decision, `seed ${seed}: ${early}`).toBe(full);
      expect(full).toBe("rejected");
    }
    expect(decisions).toEqual(new Set(["approved", "rejected"]));
    expect(stoppedEarly).toBeGreaterThan(20);
  });
});

describe("possibleVotes", () => {
  const cases = [edgeCaseOf("must-1", "must_pass"), edgeCaseOf("reg-1", "regression"), edgeCaseOf("reg-2", "regression")];
  const strict = { allowRegressions: false };
  const pending = (evidence: CaseEvidence[]): PendingValidator => ({ validator: "v", cases, evidence });

  it("can still approve until its must_pass cases ran without a fix; a break makes it reject", () => {
    expect(possibleVotes(pending([]), strict)).toEqual(["approve", "reject", "abstain"]);
    expect(possibleVotes(pending([{ caseId: "must-1", passedWithout: false, passedWith: true }]), strict)).toEqual(["approve", "reject", "abstain"]);
    expect(possibleVotes(pending([{ caseId: "must-1", passedWithout: false, passedWith: false }]), strict)).toEqual(["reject", "abstain"]);
    expect(possibleVotes(pending([{ caseId: "must-1", passedWithout: null, passedWith: true }]), strict)).toEqual(["reject", "abstain"]);
    expect(possibleVotes(pending([{ caseId: "reg-1", passedWithout: true, passedWith: false }]), strict)).toEqual(["reject"]);
    // A break the re-check did not see again is no break.
    expect(possibleVotes(pending([{ caseId: "reg-1", passedWithout: true, passedWith: false, confirmation: { by: "w", confirmed: false } }]), strict)).toEqual(["approve", "reject", "abstain"]);
  });

  it("with regressions allowed, can approve while the cases left could make its fixes outnumber its breaks", () => {
    const lenient = { allowRegressions: true };
    const broke = (caseId: string): CaseEvidence => ({ caseId, passedWithout: true, passedWith: false });
    expect(possibleVotes(pending([broke("reg-1")]), lenient)).toEqual(["approve", "reject", "abstain"]);
    expect(possibleVotes(pending([broke("reg-1"), { caseId: "must-1", passedWithout: false, passedWith: true }]), lenient)).toEqual(["approve", "reject", "abstain"]);
    // Two breaks and one case left: its fixes can no longer outnumber them.
    expect(possibleVotes(pending([broke("reg-1"), broke("reg-2")]), lenient)).toEqual(["reject", "abstain"]);
    expect(possibleVotes(pending([broke("reg-1"), broke("reg-2"), { caseId: "must-1", passedWithout: false, passedWith: true }]), lenient)).toEqual(["reject", "abstain"]);
  });
});

describe("decidedEarly", () => {
  const cases = [edgeCaseOf("must-1", "must_pass"), edgeCaseOf("reg-1", "regression")];
  const vote = (validator: string, decision: Vote["decision"], evidence: CaseEvidence[] = []): Vote => ({ validator, lessonId: "l", decision, reason: "", evidence, castAt: FIXED_TIME });

  it("decides a rejection when two of three validators can no longer approve under majority with quorum 2", () => {
    const noFix: CaseEvidence = { caseId: "must-1", passedWithout: false, passedWith: false };
    const policy = majority({ quorum: 2 });
    const decided = decidedEarly({
      policy,
      finished: [],
      pending: [
        { validator: "a", cases, evidence: [noFix] },
        { validator: "b", cases, evidence: [noFix] },
        { validator: "c", cases, evidence: [] },
      ],
      lessonId: "l",
    });
    expect(decided).toEqual({ decided: true, reason: expect.stringContaining("2 of the pending can no longer approve") });
    expect(decidedEarly({ policy, finished: [], pending: [{ validator: "a", cases, evidence: [noFix] }, { validator: "b", cases, evidence: [] }, { validator: "c", cases, evidence: [] }], lessonId: "l" })).toEqual({ decided: false });
  });

  it("never decides an approval early, and has nothing to decide with no one pending", () => {
    const policy = majority({ quorum: 1 });
    expect(decidedEarly({ policy, finished: [vote("a", "approve"), vote("b", "approve")], pending: [{ validator: "c", cases, evidence: [] }], lessonId: "l" })).toEqual({ decided: false });
    expect(decidedEarly({ policy, finished: [vote("a", "reject")], pending: [], lessonId: "l" })).toEqual({ decided: false });
  });

  it("decides at once on a confirmed break, and not on one the re-check did not see", () => {
    const policy = majority({ quorum: 2 });
    const broke: CaseEvidence = { caseId: "reg-1", passedWithout: true, passedWith: false, confirmation: { by: "b", confirmed: true } };
    const decided = decidedEarly({ policy, finished: [], pending: [{ validator: "a", cases, evidence: [broke] }, { validator: "b", cases, evidence: [] }, { validator: "c", cases, evidence: [] }], lessonId: "l" });
    expect(decided).toEqual({ decided: true, reason: "a confirmed break already rejects the lesson under majority" });
    const doubted = { ...broke, confirmation: { by: "b", confirmed: false } };
    expect(decidedEarly({ policy, finished: [], pending: [{ validator: "a", cases, evidence: [doubted] }, { validator: "b", cases, evidence: [] }, { validator: "c", cases, evidence: [] }], lessonId: "l" })).toEqual({ decided: false });
  });
});
