import { HumanMessage } from "@langchain/core/messages";
import { InMemoryEdgeCaseStore, InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { ScriptedChatModel } from "@lessonloop/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { logLearningEvent, type LearningEvent } from "./learning-events.js";
import { createLearningLoop, type LearningLoop } from "./learning-loop.js";
import { SCOPE, failedInvoiceEpisode, invoiceLoopParams } from "./tests/invoice-world.js";

const loops: LearningLoop[] = [];

afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
  vi.restoreAllMocks();
});

describe("the loop's warning events", () => {
  it("a learner warning and a retriever warning both reach onEvent", async () => {
    const embedder = createLexicalEmbedder();
    const events: LearningEvent[] = [];
    const loop = await createLearningLoop({
      ...invoiceLoopParams(),
      // Every answer misses the schema: the learner proposes nothing and warns.
      learnerModel: new ScriptedChatModel({ name: "learner-model", responses: { structured: { lessons: "none" } } }),
      memory: new InMemoryLessonMemory({ embedder }),
      edgeCaseStore: new InMemoryEdgeCaseStore({ embedder }),
      embedder,
      onEvent: (event) => events.push(event),
    });
    loops.push(loop);

    const result = await loop.learn(failedInvoiceEpisode("e-1"));
    // A state without the lesson-context keys: the retriever warns that it cannot pin the run.
    await loop.createRetriever({ scope: () => ({ ...SCOPE }) })({ messages: [new HumanMessage("Create an invoice")] }, {});

    const warnings = events.filter((event) => event.type === "warning");
    expect(warnings).toEqual([
      { type: "warning", source: "learner", warning: expect.objectContaining({ kind: "proposal_failed", reason: "malformed", episodeId: "e-1", attempts: 2 }) },
      { type: "warning", source: "retriever", warning: expect.objectContaining({ source: "state", effect: "cannot pin the memory version nor log served lessons" }) },
    ]);
    // The same warning as in the learning result.
    expect(warnings[0]).toMatchObject({ warning: result.learnerWarnings[0] });
  });

  it("the default onEvent prints each warning as one console line", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    logLearningEvent({
      type: "warning",
      source: "learner",
      warning: { kind: "proposal_failed", reason: "malformed", episodeId: "e-1", message: "lessons: expected array", attempts: 2 },
    });
    expect(warn.mock.calls).toEqual([["[lessonloop] learner (proposal_failed, episode e-1): lessons: expected array"]]);
  });
});
