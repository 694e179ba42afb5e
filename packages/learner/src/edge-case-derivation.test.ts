import { InMemoryLessonMemory, createLexicalEmbedder, type EdgeCase, type EdgeCaseCheck } from "@lessonloop/core";
import { createSequentialIds } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { keyFacts, objectionRubric } from "./edge-case-derivation.js";
import { createLearner, type LearnerParams } from "./learner.js";
import { NOW, clock, judge, learnerModel, proposal, refundEpisode, scope, successEpisode } from "./tests/fixtures.js";

function learnerWith(overrides: Partial<LearnerParams> = {}) {
  return createLearner({
    model: learnerModel({ lessons: [{ structured: { lessons: [proposal()] } }] }),
    memory: new InMemoryLessonMemory({ embedder: createLexicalEmbedder() }),
    agentName: "billing-bot",
    ids: createSequentialIds("id"),
    clock,
    onWarning: () => {},
    ...overrides,
  });
}

describe("edge cases from episodes", () => {
  it("turns a failure into a must_pass case judged by a rubric from the critic's summary", async () => {
    const episode = refundEpisode({ retried: false });
    const { edgeCases } = await learnerWith()({ episode, judgement: await judge(episode) });

    const expected: EdgeCase = {
      id: "id-1",
      input: "Refund 12.50 EUR on order A-17.",
      check: {
        type: "rubric",
        rubric:
          'An earlier run of this task failed. Tool "refund" failed at step 2 and was not retried successfully: 400: amount must be an integer number of cents ' +
          "Pass only if the agent completes the task without this failure.",
      },
      kind: "must_pass",
      originEpisode: "ep-1",
      scope,
      tags: ["from:failure", "signal:environment"],
      truth: { source: "environment" },
      tools: ["refund"],
      createdAt: NOW,
    };
    expect(edgeCases).toEqual([expected]);
  });

  it("turns a recovery into a must_pass case: make the call that worked", async () => {
    const episode = refundEpisode({ retried: true });
    const { edgeCases } = await learnerWith()({ episode, judgement: await judge(episode) });
    expect(edgeCases).toMatchObject([{ kind: "must_pass", check: { type: "tool_call", name: "refund", args: { order: "A-17", amount: 1250 } }, tags: ["from:recovered", "signal:environment"] }]);
  });

  it("uses the deterministic check the evaluator named", async () => {
    const check: EdgeCaseCheck = { type: "environment", predicate: "order-refunded", params: { order: "A-17", cents: 1250 } };
    const episode = refundEpisode({ retried: false });
    episode.trajectory = episode.trajectory.filter((step) => step.type !== "tool_result");
    const judgement = await judge(episode, { evaluator: () => ({ passed: false, reason: "order A-17 not refunded", check }) });
    const { edgeCases } = await learnerWith()({ episode, judgement });
    expect(edgeCases).toMatchObject([{ kind: "must_pass", check, tags: ["from:failure", "signal:evaluator"] }]);
  });

  it("turns each of several objections in the user's feedback into its own must_pass case, so a lesson that fixes one shows it", async () => {
    const episode = successEpisode({ answer: "Order A-17 ships on 2026-03-04." });
    const feedbackText = 'Please start with "Hi". Please write dates like 04.03.2026, as I asked before.';
    const { edgeCases } = await learnerWith()({ episode, judgement: await judge(episode, { feedback: "negative", feedbackText }) });
    const objections = ['Please start with "Hi".', "Please write dates like 04.03.2026, as I asked before."];
    expect(edgeCases).toMatchObject(objections.map((objection) => ({ kind: "must_pass", check: { type: "rubric", rubric: objectionRubric(objections, objection) }, truth: { source: "user_feedback", by: "ana" } })));
    expect(new Set(edgeCases.map((edgeCase) => edgeCase.id)).size).toBe(2);
    expect(objectionRubric(objections, objections[1] as string)).toContain('This case checks one of them: "Please write dates like 04.03.2026, as I asked before.". Pass only if');

    // One objection stays one case, judged by the whole complaint.
    const single = await learnerWith()({ episode, judgement: await judge(episode, { feedback: "negative", feedbackText: "The date is wrong." }) });
    expect(single.edgeCases).toMatchObject([{ kind: "must_pass", check: { type: "rubric", rubric: expect.stringContaining('The user gave negative feedback: "The date is wrong."') } }]);
  });

  it("turns a success into a regression case on the key facts of its answer", async () => {
    const episode = successEpisode();
    const { edgeCases, candidates } = await learnerWith()({ episode, judgement: await judge(episode, { feedback: "positive" }) });
    expect(candidates).toEqual([]);
    expect(edgeCases).toMatchObject([
      { kind: "regression", input: "When does order A-17 ship?", check: { type: "answer", mustContain: ["A-17", "2026-03-04"], mustNotContain: [] } },
    ]);
    // Its truth is that user's word, and says whose.
    expect(edgeCases[0]?.truth).toEqual({ source: "user_feedback", by: "ana" });
  });

  it("records the tools its run used, so its replays are served the lessons anchored to them", async () => {
    const episode = refundEpisode({ retried: true });
    const { edgeCases } = await learnerWith()({ episode, judgement: await judge(episode) });
    expect(edgeCases[0]?.tools).toEqual(["refund"]);
    const quiet = successEpisode({ answer: "It ships on 2026-03-04." });
    quiet.trajectory = quiet.trajectory.filter((step) => step.type !== "tool_call" && step.type !== "tool_result");
    const { edgeCases: noTools } = await learnerWith()({ episode: quiet, judgement: await judge(quiet, { feedback: "positive" }) });
    expect(noTools[0]?.tools).toBeUndefined();
  });

  it("records in the case's truth that the episode's own signals contradicted the user's word", async () => {
    const episode = successEpisode();
    const judgement = await judge(episode, { feedback: "positive", evaluator: () => ({ passed: false, reason: "the answer names the wrong ship date" }) });
    expect(judgement.contradictedBy?.source).toBe("evaluator");
    const { edgeCases } = await learnerWith()({ episode, judgement });
    expect(edgeCases[0]?.truth).toEqual({ source: "user_feedback", by: "ana", contradictedBy: "evaluator" });
  });

  it("falls back to the tool call a success made when its answer has no key facts", async () => {
    const episode = successEpisode({ answer: "It ships soon with DHL." });
    const { edgeCases } = await learnerWith()({ episode, judgement: await judge(episode, { feedback: "positive" }) });
    expect(edgeCases).toMatchObject([{ kind: "regression", check: { type: "tool_call", name: "get_order", args: { order: "A-17" } } }]);
  });

  it("makes no case of an unknown outcome", async () => {
    const episode = successEpisode();
    const { edgeCases } = await learnerWith()({ episode, judgement: await judge(episode) });
    expect(edgeCases).toEqual([]);
  });

  it("lets toEdgeCase replace the derivation", async () => {
    const episode = refundEpisode({ retried: false });
    const toEdgeCase: LearnerParams["toEdgeCase"] = (run, judgement) =>
      judgement.status === "failure" ? { kind: "must_pass", check: { type: "environment", predicate: "refund-posted", params: { order: "A-17" } }, tags: ["custom"] } : undefined;
    const { edgeCases } = await learnerWith({ toEdgeCase })({ episode, judgement: await judge(episode) });
    expect(edgeCases).toMatchObject([{ check: { type: "environment", predicate: "refund-posted" }, tags: ["custom"], originEpisode: "ep-1" }]);
  });
});

describe("keyFacts", () => {
  it("keeps numbers, ids with digits and quoted text; not plain words", () => {
    expect(keyFacts('Your flight LH 456 leaves 2026-03-01 at 09:30 from "Gate B12".')).toEqual(["Gate B12", "456", "2026-03-01", "09:30", "B12"]);
    expect(keyFacts("Refunded 12.50 EUR on A-17.")).toEqual(["12.50", "A-17"]);
    expect(keyFacts("Sure, I did it in 1 step.")).toEqual([]);
    expect(keyFacts("1 22 333 4444 55555 666666 7777777", 3)).toEqual(["22", "333", "4444"]);
  });
});
