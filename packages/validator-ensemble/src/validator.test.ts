import { FakeListChatModel } from "@langchain/core/utils/testing";
import { EdgeCaseSchema, LessonSchema } from "@lessonloop/core";
import { type CaseEvidence } from "@lessonloop/core/internal";
import { ScriptedChatModel, createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { answerCheck, edgeCase, lesson } from "./tests/fixtures.js";
import { castVote, decideStoppedVote, decideVote, type ReplayedCase, type VoteRules } from "./validator.js";

const strict: VoteRules = { allowRegressions: false, minRunShare: 0.5 };
const lenient: VoteRules = { allowRegressions: true, minRunShare: 0.5 };

function replayed(id: string, kind: "regression" | "must_pass", passedWithout: boolean | null, passedWith: boolean | null): ReplayedCase {
  const evidence: CaseEvidence = { caseId: id, passedWithout, passedWith };
  return { edgeCase: EdgeCaseSchema.parse(edgeCase(id, `task ${id}`, answerCheck(["ok"]), kind)), evidence };
}

describe("decideVote (the rules of a vote)", () => {
  it("abstains with no cases", () => {
    const vote = decideVote([], strict);
    expect(vote.decision).toBe("abstain");
    expect(vote.reason).toContain("No edge cases to replay");
  });

  it("approves a lesson that fixes a must_pass case and breaks none", () => {
    const vote = decideVote([replayed("must-1", "must_pass", false, true), replayed("reg-1", "regression", true, true)], strict);
    expect(vote).toEqual({
      decision: "approve",
      reason: "Fixes 1 must_pass case (must-1) and breaks none; 2 cases replayed both ways.",
      fixes: ["must-1"],
      breaks: [],
    });
  });

  it("rejects any break, even when it fixes a must_pass case and some replays could not run", () => {
    const vote = decideVote(
      [
        replayed("must-1", "must_pass", false, true),
        replayed("reg-1", "regression", true, false),
        replayed("reg-2", "regression", null, null),
        replayed("reg-3", "regression", null, true),
      ],
      strict,
    );
    expect(vote.decision).toBe("reject");
    expect(vote.breaks).toEqual(["reg-1"]);
    expect(vote.reason).toBe("Breaks 1 previously passing case: reg-1 passed without the lesson and failed with it. It fixes 1 case (must-1).");
  });

  it("abstains when too few cases ran both ways", () => {
    const vote = decideVote(
      [replayed("must-1", "must_pass", false, true), replayed("reg-1", "regression", null, true), replayed("reg-2", "regression", true, null)],
      strict,
    );
    expect(vote.decision).toBe("abstain");
    expect(vote.reason).toContain("1 of 3 replayed both ways, 2 needed");
  });

  it("rejects a lesson that fixes nothing that needs fixing", () => {
    const redundant = decideVote([replayed("must-1", "must_pass", true, true), replayed("reg-1", "regression", true, true)], strict);
    expect(redundant.decision).toBe("reject");
    expect(redundant.reason).toContain("Fixes no must_pass case");
    const regressionOnly = decideVote([replayed("reg-1", "regression", false, true)], strict);
    expect(regressionOnly.decision).toBe("reject");
    expect(regressionOnly.reason).toContain("it fixes reg-1, none of them must_pass");
  });

  it("with regressions allowed, approves a net gain that fixes a must_pass case, and rejects the rest", () => {
    const gain = decideVote(
      [replayed("must-1", "must_pass", false, true), replayed("must-2", "must_pass", false, true), replayed("reg-1", "regression", true, false)],
      lenient,
    );
    expect(gain.decision).toBe("approve");
    expect(gain.breaks).toEqual(["reg-1"]);
    const even = decideVote([replayed("must-1", "must_pass", false, true), replayed("reg-1", "regression", true, false)], lenient);
    expect(even.decision).toBe("reject");
    expect(even.reason).toContain("no net gain");
  });
});

describe("decideVote: cases earn trust", () => {
  const said = (id: string, kind: "regression" | "must_pass", by: string, passedWithout: boolean, passedWith: boolean): ReplayedCase => {
    const entry = replayed(id, kind, passedWithout, passedWith);
    return { ...entry, edgeCase: { ...entry.edgeCase, truth: { source: "user_feedback", by } } };
  };
  const tenant = { tenant: "acme" };

  it("lets one user's word carry a lesson for that user only", () => {
    const cases = [said("must-ana", "must_pass", "ana", false, true), replayed("reg-1", "regression", true, true)];
    const wide = decideVote(cases, strict, tenant);
    expect(wide.decision).toBe("reject");
    expect(wide.reason).toContain("rest on one user's word");
    expect(decideVote(cases, strict, { tenant: "acme", user: "ben" }).decision).toBe("reject");
    expect(decideVote(cases, strict, { tenant: "acme", user: "ana" }).decision).toBe("approve");
  });

  it("takes two users' word, or the environment's, as evidence for the tenant", () => {
    const two = [said("must-ana", "must_pass", "ana", false, true), said("must-ben", "must_pass", "ben", false, true)];
    expect(decideVote(two, strict, tenant).decision).toBe("approve");
    const sameUserTwice = [said("must-ana-1", "must_pass", "ana", false, true), said("must-ana-2", "must_pass", "ana", false, true)];
    expect(decideVote(sameUserTwice, strict, tenant).decision).toBe("reject");
    const verified = [replayed("must-env", "must_pass", false, true)];
    expect(decideVote(verified, strict, tenant).decision).toBe("approve");
  });

  it("gives a user's word its episode's own signals contradict no weight, not even for that user's lesson", () => {
    const contradicted = (entry: ReplayedCase, by: "environment" | "evaluator"): ReplayedCase => ({
      ...entry,
      edgeCase: { ...entry.edgeCase, truth: { ...(entry.edgeCase.truth ?? { source: "user_feedback" }), contradictedBy: by } },
    });
    const forMallory = [contradicted(said("must-mallory", "must_pass", "mallory", false, true), "environment"), replayed("reg-1", "regression", true, true)];
    const own = decideVote(forMallory, strict, { tenant: "acme", user: "mallory" });
    expect(own.decision).toBe("reject");
    expect(own.reason).toContain("rest on one user's word, which the episode's own signals contradict (must-mallory: environment)");
    // Without the contradiction the same case carries her own lesson.
    expect(decideVote([said("must-mallory", "must_pass", "mallory", false, true)], strict, { tenant: "acme", user: "mallory" }).decision).toBe("approve");
    // A contradicted word does not corroborate another user's either.
    const two = [said("must-ana", "must_pass", "ana", false, true), contradicted(said("must-ben", "must_pass", "ben", false, true), "evaluator")];
    expect(decideVote(two, strict, tenant).decision).toBe("reject");
  });

  it("never lets fixes resting on one user's word outweigh breaks, with regressions allowed", () => {
    const cases = [
      replayed("must-env", "must_pass", false, true),
      said("reg-poisoned-1", "regression", "mallory", false, true),
      said("reg-poisoned-2", "regression", "mallory", false, true),
      replayed("reg-clean-1", "regression", true, false),
    ];
    // Counted naively, 3 fixes outweigh 1 break; only the verified fix counts.
    const vote = decideVote(cases, lenient, tenant);
    expect(vote.decision).toBe("reject");
    expect(vote.reason).toContain("2 rest on one user's word");
    expect(decideVote(cases, lenient, { tenant: "acme", user: "mallory" }).decision).toBe("approve");
  });
});

describe("decideStoppedVote (a validator stopped because the verdict was decided)", () => {
  it("rejects on a break among the cases it finished, as it would at the end", () => {
    const vote = decideStoppedVote([replayed("reg-1", "regression", true, false)], strict);
    expect(vote).toMatchObject({ decision: "reject", breaks: ["reg-1"] });
  });

  it("abstains when its must_pass case never finished, instead of rejecting for fixing nothing", () => {
    const cases = [replayed("reg-1", "regression", true, true), replayed("reg-2", "regression", true, true)];
    expect(decideVote(cases, strict).decision).toBe("reject");
    const vote = decideStoppedVote(cases, strict);
    expect(vote.decision).toBe("abstain");
    expect(vote.reason).toBe("Its 2 finished cases showed no break; the rest would decide its vote.");
  });

  it("abstains rather than approve on part of its cases, and when none finished", () => {
    const part = [replayed("must-1", "must_pass", false, true)];
    expect(decideVote(part, strict).decision).toBe("approve");
    expect(decideStoppedVote(part, strict).decision).toBe("abstain");
    expect(decideStoppedVote([], strict)).toMatchObject({ decision: "abstain", reason: "None of its cases had finished." });
  });

  it("with regressions allowed, a break alone does not decide a stopped vote", () => {
    expect(decideStoppedVote([replayed("reg-1", "regression", true, false)], lenient).decision).toBe("abstain");
  });
});

describe("castVote", () => {
  const clock = createManualClock("2026-03-01T12:00:00.000Z");
  const proposed = LessonSchema.parse(lesson("lesson-1"));
  const cast = (model?: ScriptedChatModel | FakeListChatModel) =>
    castVote({ validator: { id: "peer-a", model }, lesson: proposed, decision: "approve", reason: "Fixes must-1.", clock });

  it("records the model the validator ran, by the name the model reports rather than its class", () => {
    expect(cast(new ScriptedChatModel({ responses: [], name: "peer-model-7b" }))).toEqual({
      validator: "peer-a",
      lessonId: "lesson-1",
      decision: "approve",
      reason: "Fixes must-1.",
      evidence: [],
      model: "peer-model-7b",
      castAt: "2026-03-01T12:00:00.000Z",
    });
  });

  it("records the class of a model that reports no model name, and no model for a validator without one", () => {
    expect(cast(new FakeListChatModel({ responses: [] })).model).toBe("FakeListChatModel");
    expect(cast()).not.toHaveProperty("model");
  });
});
