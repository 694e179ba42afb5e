import { Annotation, Command, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { LessonSchema, type Lesson, type LessonInput, type Verdict } from "@lessonloop/core";
import { VerdictSchema } from "@lessonloop/core/internal";
import { createManualClock } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { majority } from "./consensus-policy.js";
import type { LessonReviewRequest } from "./human-review.js";
import { createRolePlayRunner } from "./role-play-runner.js";
import { DAMAGED_PARCEL, REFUND_DAMAGED, REFUND_EVERYTHING, SHOP_CASES, agentModel, openCaseStore, shopAgent } from "./tests/fixtures.js";
import { createValidatorEnsemble, type ValidatorEnsembleParams } from "./validator-ensemble.js";

const clock = createManualClock("2026-03-01T12:00:00.000Z");
const PEERS = ["peer-a", "peer-b", "peer-c"];

async function reviewedEnsemble(requiresApproval: ValidatorEnsembleParams["requiresApproval"], withCheckpointer = true) {
  const store = await openCaseStore(SHOP_CASES);
  const models = PEERS.map((id) => agentModel(shopAgent(), { name: id }));
  const ensemble = createValidatorEnsemble({
    validators: PEERS.map((id, index) => ({ id, model: models[index] })),
    runner: createRolePlayRunner(),
    edgeCaseStore: store,
    policy: majority({ quorum: 2 }),
    // Every case replayed both ways, so the reviewer's evidence and the call counts are the full run's.
    earlyStop: false,
    baselineReplays: "always",
    confirmBreaks: "off",
    requiresApproval,
    ...(withCheckpointer ? { checkpointer: new MemorySaver() } : {}),
    clock,
  });
  return { ensemble, models, store };
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

/** The review request the graph is waiting on. */
async function pendingReview(graph: { getState(config: ReturnType<typeof thread>): Promise<{ tasks: readonly { interrupts: readonly { value?: unknown }[] }[]; next: readonly string[] }> }, config: ReturnType<typeof thread>) {
  const state = await graph.getState(config);
  const interrupts = state.tasks.flatMap((task) => task.interrupts);
  expect(interrupts).toHaveLength(1);
  return { request: interrupts[0]?.value as LessonReviewRequest, next: state.next };
}

describe("human approval through interrupt()", () => {
  it("pauses a significant lesson with the lesson, the verdict and its evidence, and resumes on approve", async () => {
    const seen: [Lesson, Verdict][] = [];
    const { ensemble } = await reviewedEnsemble((lesson, verdict) => {
      seen.push([lesson, verdict]);
      return lesson.kind === "recovery";
    });
    const config = thread("approve");

    const paused = await ensemble.invoke({ lesson: REFUND_DAMAGED, proposer: "learner", motivatingCases: [DAMAGED_PARCEL] }, config);

    expect(paused.verdict?.decision).toBe("approved");
    expect("__interrupt__" in paused).toBe(true);
    const { request, next } = await pendingReview(ensemble, config);
    expect(next).toEqual(["human_review"]);
    expect(request.type).toBe("lessonloop.lesson_review");
    expect(request.lesson).toEqual(LessonSchema.parse(REFUND_DAMAGED));
    expect(request.verdict.tally).toEqual({ approve: 3, reject: 0, abstain: 0 });
    expect(request.evidence).toEqual({ fixes: [{ caseId: "must-damaged-parcel", validators: PEERS }], breaks: [], notRun: 0 });
    expect(request.resumeWith).toContain('{ decision: "approve" }');
    expect(seen.map(([lesson, verdict]) => [lesson.id, verdict.decision])).toEqual([["refund-damaged", "approved"]]);

    const done = await ensemble.invoke(new Command({ resume: { decision: "approve", note: "checked the refund policy" } }), config);

    const verdict = VerdictSchema.parse(done.verdict);
    expect(verdict.decision).toBe("approved");
    expect(verdict.reason).toMatch(/^Approved by a human reviewer \("checked the refund policy"\)\. The ensemble had approved the lesson: Approved under majority/);
    expect(verdict.votes).toHaveLength(3);
    expect((await ensemble.getState(config)).next).toEqual([]);
  });

  it("rejects on the reviewer's reject, whatever the ensemble decided", async () => {
    const { ensemble } = await reviewedEnsemble(() => true);
    const config = thread("reject");
    await ensemble.invoke({ lesson: REFUND_DAMAGED, motivatingCases: [DAMAGED_PARCEL] }, config);

    const done = await ensemble.invoke(new Command({ resume: { decision: "reject" } }), config);

    expect(done.verdict?.decision).toBe("rejected");
    expect(done.verdict?.reason).toMatch(/^Rejected by a human reviewer\. The ensemble had approved the lesson/);
    expect(done.verdict?.tally).toEqual({ approve: 3, reject: 0, abstain: 0 });
  });

  it("validates an edited lesson again, once, and returns the edited lesson with that verdict", async () => {
    const { ensemble, models } = await reviewedEnsemble(() => true);
    const config = thread("edit");
    const paused = await ensemble.invoke({ lesson: REFUND_EVERYTHING, motivatingCases: [DAMAGED_PARCEL] }, config);
    expect(paused.verdict?.decision).toBe("rejected");
    const { request } = await pendingReview(ensemble, config);
    expect(request.evidence.breaks.map((entry) => entry.caseId).sort()).toEqual(["reg-gift-card", "reg-late-refund"]);

    // The reviewer narrows the trigger to damaged parcels.
    const done = await ensemble.invoke(
      new Command({ resume: { decision: "edit", lesson: { trigger: REFUND_DAMAGED.trigger, kind: "recovery" }, note: "only damaged parcels" } }),
      config,
    );

    const verdict = VerdictSchema.parse(done.verdict);
    expect(verdict.decision).toBe("approved");
    expect(verdict.reason).toMatch(/^The lesson was edited by a human reviewer and validated again\. Approved under majority/);
    expect(verdict.tally).toEqual({ approve: 3, reject: 0, abstain: 0 });
    const edited = LessonSchema.parse(done.lesson);
    expect(edited).toEqual(LessonSchema.parse({ ...REFUND_EVERYTHING, trigger: REFUND_DAMAGED.trigger, kind: "recovery" }));
    expect(verdict.lessonId).toBe(edited.id);
    // Validated twice (5 cases × 2 each time); no second review.
    expect(models.map((model) => model.callCount)).toEqual([20, 20, 20]);
    expect((await ensemble.getState(config)).next).toEqual([]);

    // The next lesson on this thread is reviewed again: the edit of the last one does not carry over.
    const again = await ensemble.invoke({ lesson: { ...REFUND_DAMAGED, id: "refund-damaged-2" } }, config);
    expect("__interrupt__" in again).toBe(true);
    expect((await pendingReview(ensemble, config)).request.lesson.id).toBe("refund-damaged-2");
  });

  it("asks again, saying what was wrong, when the answer or the edited lesson is invalid", async () => {
    const { ensemble } = await reviewedEnsemble(() => true);
    const config = thread("invalid");
    await ensemble.invoke({ lesson: REFUND_DAMAGED, motivatingCases: [DAMAGED_PARCEL] }, config);

    await ensemble.invoke(new Command({ resume: { decision: "maybe" } }), config);
    const first = await pendingReview(ensemble, config);
    expect(first.request.problem).toMatch(/^The answer \{"decision":"maybe"\} is not a review decision\. Resume with/);

    await ensemble.invoke(new Command({ resume: { decision: "edit", lesson: { guidance: "" } } }), config);
    const second = await pendingReview(ensemble, config);
    expect(second.request.problem).toContain("The edited lesson is invalid — guidance: must not be empty");

    const done = await ensemble.invoke(new Command({ resume: { decision: "approve" } }), config);
    expect(done.verdict?.decision).toBe("approved");
    expect(done.verdict?.reason).toMatch(/^Approved by a human reviewer\./);
  });

  it("does not pause lessons the predicate does not select; a later run on the thread keeps nothing of the input", async () => {
    const { ensemble } = await reviewedEnsemble((lesson) => lesson.kind === "constraint");
    const config = thread("skip");
    const done = await ensemble.invoke({ lesson: REFUND_DAMAGED, proposer: "peer-a", motivatingCases: [DAMAGED_PARCEL] }, config);
    expect("__interrupt__" in done).toBe(false);
    expect(done.verdict?.decision).toBe("approved");
    expect(done.verdict?.votes.map((vote) => vote.validator)).toEqual(["peer-b", "peer-c"]);

    // Same thread, no proposer and no motivating cases this time: neither is carried over.
    const next = await ensemble.invoke({ lesson: REFUND_DAMAGED }, config);
    expect(next.verdict?.votes.map((vote) => vote.validator)).toEqual(PEERS);
    expect(next.verdict?.votes[0]?.evidence.map((entry) => entry.caseId)).not.toContain("must-damaged-parcel");
    expect(next.verdict?.decision).toBe("rejected");
  });

  it("runs as a node of a parent graph, using the parent's checkpointer, and a new run on the thread starts clean", async () => {
    const { ensemble, models } = await reviewedEnsemble(() => true, false);
    const ParentState = Annotation.Root({
      lesson: Annotation<LessonInput | undefined>,
      proposer: Annotation<string | undefined>,
      motivatingCases: Annotation<(typeof DAMAGED_PARCEL)[] | undefined>,
      verdict: Annotation<Verdict | undefined>,
      merged: Annotation<string[]>({ reducer: (left, right) => [...left, ...right], default: () => [] }),
    });
    const parent = new StateGraph(ParentState)
      .addNode("validate_lesson", ensemble)
      .addNode("merge", (state: typeof ParentState.State) => ({
        merged: state.verdict?.decision === "approved" && state.lesson !== undefined ? [state.lesson.id] : [],
      }))
      .addEdge(START, "validate_lesson")
      .addEdge("validate_lesson", "merge")
      .addEdge("merge", END)
      .compile({ checkpointer: new MemorySaver() });
    const config = thread("parent");

    await parent.invoke({ lesson: REFUND_DAMAGED, proposer: "learner", motivatingCases: [DAMAGED_PARCEL] }, config);
    const { request } = await pendingReview(parent, config);
    expect(request.lesson.id).toBe("refund-damaged");

    const done = await parent.invoke(new Command({ resume: { decision: "approve" } }), config);
    expect(done.verdict?.decision).toBe("approved");
    expect(done.merged).toEqual(["refund-damaged"]);
    // Resuming did not replay the cases again.
    expect(models.map((model) => model.callCount)).toEqual([10, 10, 10]);

    // A second lesson on the same thread, without motivating cases: nothing of the first run leaks in.
    await parent.invoke({ lesson: REFUND_EVERYTHING, motivatingCases: [] }, config);
    const second = await pendingReview(parent, config);
    expect(second.request.lesson.id).toBe("refund-everything");
    expect(second.request.verdict.votes[0]?.evidence.map((entry) => entry.caseId)).not.toContain("must-damaged-parcel");
    const rejected = await parent.invoke(new Command({ resume: { decision: "reject" } }), config);
    expect(rejected.verdict?.decision).toBe("rejected");
    expect(rejected.merged).toEqual(["refund-damaged"]);
  });
});
