import { END, START, StateGraph } from "@langchain/langgraph";
import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { uniqueCollectionName } from "@lessonloop/chroma/testing";
import { createCritic } from "@lessonloop/critic";
import type { Lesson } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createSequentialIds } from "@lessonloop/core/testing";
import { describe, expect, inject, it } from "vitest";
import { createLearner } from "./learner.js";
import { LearnerStateAnnotation, type LearnerWarning } from "./learner-state.js";
import { callsOf, clock, judge, learnerModel, proposal, refundEpisode } from "./tests/fixtures.js";

const embedder = createLexicalEmbedder();

/** The live lesson every test starts from: agent-wide, learned from an earlier episode. */
const cents = lessonFixture("cents", {
  trigger: "When the refund API rejects the amount with 'amount must be an integer'",
  guidance: "Send the refund amount in cents as an integer, not in dollars.",
  scope: { tenant: "acme", agent: "billing" },
  evidence: ["ep-0"],
});

async function memoryWithCents(): Promise<ChromaLessonMemory> {
  const memory = await ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName("learner"), embedder });
  await memory.commit({ add: [cents], reason: "learned earlier", author: "test" });
  return memory;
}

describe("createLearner against a real ChromaLessonMemory", () => {
  it("turns a paraphrase of a live lesson into a reinforcement, not a new lesson", async () => {
    const memory = await memoryWithCents();
    const paraphrase = proposal({
      trigger: "When a refund fails because the amount must be an integer",
      guidance: "Convert the refund amount to integer cents before calling the refund API.",
    });
    const model = learnerModel({
      lessons: [{ structured: { lessons: [paraphrase] } }],
      comparisons: [{ structured: { relation: "same", reason: "Both say: send cents." } }],
    });
    const learner = createLearner({ model, memory, agentName: "billing-bot", ids: createSequentialIds("id"), clock });
    const episode = refundEpisode();

    const update = await learner({ episode, judgement: await judge(episode) });

    expect(update.candidates).toEqual([]);
    expect(update.reinforcements).toEqual([{ lessonId: "cents", episodeId: "ep-1", score: expect.any(Number) }]);
    expect(update.reinforcements[0]?.score).toBeGreaterThanOrEqual(0.4);
    // The comparison saw both lessons.
    const comparison = String(callsOf(model, "compare_lessons")[0]?.messages[1]?.content);
    expect(comparison).toContain(`<existing_lesson>\nWhen: ${cents.trigger}\nDo: ${cents.guidance}\n</existing_lesson>`);
    expect(comparison).toContain("Do: Convert the refund amount to integer cents before calling the refund API.");
    expect(await memory.headVersion()).toBe(1);
  });

  it("widens the trigger of a live lesson that a failed run needed but was not served", async () => {
    const paraphrase = proposal({
      trigger: "When refunding an order from the mobile app",
      guidance: "Convert the refund amount to integer cents before calling the refund API.",
    });
    const memory = await memoryWithCents();
    const learn = (served: string[]) => {
      const model = learnerModel({
        lessons: [{ structured: { lessons: [paraphrase] } }],
        comparisons: [{ structured: { relation: "same", reason: "Both say: send cents." } }],
      });
      const episode = { ...refundEpisode({ retried: false }), servedLessons: served };
      const learner = createLearner({ model, memory, agentName: "billing-bot", ids: createSequentialIds("id"), clock });
      return judge(episode).then((judgement) => learner({ episode, judgement }));
    };

    const missed = await learn([]);
    expect(missed.reinforcements).toEqual([]);
    expect(missed.candidates).toHaveLength(1);
    expect(missed.candidates[0]).toMatchObject({
      trigger: `${cents.trigger}; also when refunding an order from the mobile app`,
      guidance: paraphrase["guidance"],
      supersedes: ["cents"],
    });

    // Served and still failed: the lesson reached the run, so the episode confirms it rather than rewording it.
    const served = await learn(["cents"]);
    expect(served.candidates).toEqual([]);
    expect(served.reinforcements).toMatchObject([{ lessonId: "cents" }]);
  });

  it("turns a refinement into a new lesson that supersedes the old one, with merged evidence", async () => {
    const memory = await memoryWithCents();
    const refinement = proposal({ guidance: "Send the refund amount in cents as an integer, and include the ISO currency code." });
    const model = learnerModel({
      lessons: [{ structured: { lessons: [refinement] } }],
      comparisons: [{ structured: { relation: "refines", reason: "Adds the currency code." } }],
    });
    const learner = createLearner({ model, memory, agentName: "billing-bot", ids: createSequentialIds("id"), clock });
    const episode = refundEpisode();

    const { candidates, reinforcements } = await learner({ episode, judgement: await judge(episode) });

    expect(reinforcements).toEqual([]);
    expect(candidates).toHaveLength(1);
    const [lesson] = candidates as [Lesson];
    expect(lesson).toMatchObject({ supersedes: ["cents"], evidence: ["ep-0", "ep-1"], scope: { tenant: "acme", agent: "billing" }, status: "proposed" });
    // Merging it retires the lesson it refines.
    await memory.commit({ add: [lesson], reason: "approved", author: "test" });
    expect((await memory.list()).map((live) => live.id)).toEqual([lesson.id]);
  });

  it("adds a near-duplicate the comparison calls different as a new lesson", async () => {
    const memory = await memoryWithCents();
    const model = learnerModel({
      lessons: [{ structured: { lessons: [proposal({ guidance: "Refund in the order's original currency, never converted." })] } }],
      comparisons: [{ structured: { relation: "different", reason: "About currency, not units." } }],
    });
    const learner = createLearner({ model, memory, agentName: "billing-bot", ids: createSequentialIds("id"), clock, duplicateThreshold: 0.2 });
    const episode = refundEpisode();
    const { candidates, reinforcements } = await learner({ episode, judgement: await judge(episode) });
    expect(callsOf(model, "compare_lessons")).toHaveLength(1);
    expect(reinforcements).toEqual([]);
    expect(candidates).toMatchObject([{ supersedes: [], evidence: ["ep-1"] }]);
  });

  it("teaches nothing twice: the same episode learned again (a journal replay) proposes no lesson", async () => {
    const memory = await memoryWithCents();
    const episode = refundEpisode({ retried: false });
    const learn = async () => {
      const model = learnerModel({
        lessons: [{ structured: { lessons: [proposal({ guidance: "Refund in the order's original currency, never converted." })] } }],
        comparisons: [{ structured: { relation: "different", reason: "About currency, not units." } }],
      });
      const learner = createLearner({ model, memory, agentName: "billing-bot", ids: createSequentialIds("id"), clock });
      return learner({ episode, judgement: await judge(episode) });
    };
    const first = await learn();
    expect(first.candidates).toMatchObject([{ evidence: ["ep-1"] }]);
    await memory.commit({ add: first.candidates, reason: "merged", author: "test" });

    const again = await learn();
    expect(again.candidates).toEqual([]);
    expect(again.reinforcements).toEqual([]);
    // Its edge case is still derived: the replayed episode is still a case to keep right.
    expect(again.edgeCases).toHaveLength(1);
  });

  it("counts a near-duplicate as a reinforcement, with a warning, when the comparison is malformed twice", async () => {
    const memory = await memoryWithCents();
    const warnings: LearnerWarning[] = [];
    const model = learnerModel({
      lessons: [{ structured: { lessons: [proposal()] } }],
      comparisons: [{ structured: { relation: "similar", reason: "?" } }, "same, I think"],
    });
    const learner = createLearner({ model, memory, agentName: "billing-bot", clock, onWarning: (warning) => warnings.push(warning) });
    const episode = refundEpisode();

    const update = await learner({ episode, judgement: await judge(episode) });

    expect(callsOf(model, "compare_lessons")).toHaveLength(2);
    expect(update.candidates).toEqual([]);
    expect(update.reinforcements).toMatchObject([{ lessonId: "cents" }]);
    expect(update.learnerWarnings).toMatchObject([{ kind: "comparison_failed", reason: "malformed", attempts: 2 }]);
    expect(warnings).toEqual(update.learnerWarnings);
  });

  it("runs with the critic in a StateGraph: episode → judgement → candidates and edge cases", async () => {
    const memory = await ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName("learner-graph"), embedder });
    const model = learnerModel({ lessons: [{ structured: { lessons: [proposal()] } }] });
    const graph = new StateGraph(LearnerStateAnnotation)
      .addNode("critic", createCritic({ clock }))
      .addNode("learner", createLearner({ model, memory, agentName: "billing-bot", ids: createSequentialIds("id"), clock }))
      .addEdge(START, "critic")
      .addEdge("critic", "learner")
      .addEdge("learner", END)
      .compile();

    const state = await graph.invoke({ episode: refundEpisode() });

    expect(state.judgement).toMatchObject({ status: "recovered", worthLearning: { learn: true } });
    expect(state.candidates).toMatchObject([{ id: "id-2", trigger: proposal().trigger, evidence: ["ep-1"], status: "proposed" }]);
    expect(state.edgeCases).toMatchObject([{ id: "id-1", kind: "must_pass", check: { type: "tool_call", name: "refund" } }]);
    expect(state.reinforcements).toEqual([]);
    expect(state.learnerWarnings).toEqual([]);
  });
});
