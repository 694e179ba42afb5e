// The README's quickstart, run as written (with a scripted model in place of a real one).
import { END, START, StateGraph } from "@langchain/langgraph";
import { createCritic } from "@lessonloop/critic";
import { InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { refundEpisodeFixture } from "@lessonloop/core/conformance";
import { ScriptedChatModel } from "@lessonloop/core/testing";
import { expect, it } from "vitest";
import { LearnerStateAnnotation, createLearner } from "./index.js";

it("runs the README quickstart", async () => {
  const model = new ScriptedChatModel({
    responses: {
      structured: {
        lessons: [
          {
            trigger: "the refund API rejects an amount with 'amount must be an integer'",
            guidance: "Send refund amounts as integer cents.",
            rationale: "A refund of 12.50 failed and worked as 1250.",
            kind: "recovery",
            appliesTo: "agent",
          },
        ],
      },
    },
  });
  // The refund the critic README judges: rejected in EUR, retried in cents.
  const episode = refundEpisodeFixture({ id: "ep-17", memoryVersion: 0 });

  // --- README quickstart ---
  // Or: await ChromaLessonMemory.open({ url, embedder }) from @lessonloop/chroma.
  const memory = new InMemoryLessonMemory({ embedder: createLexicalEmbedder() });

  const graph = new StateGraph(LearnerStateAnnotation)
    .addNode("critic", createCritic({ model }))
    .addNode("learner", createLearner({ model, memory, agentName: "billing-bot" }))
    .addEdge(START, "critic")
    .addEdge("critic", "learner")
    .addEdge("learner", END)
    .compile();

  const state = await graph.invoke({ episode });
  console.log(state.candidates.map((lesson) => `${lesson.trigger} → ${lesson.guidance}`));
  // ["the refund API rejects an amount with 'amount must be an integer' → Send refund amounts as integer cents."]
  console.log(state.edgeCases[0]?.kind, state.edgeCases[0]?.check);
  // must_pass { type: "tool_call", name: "refund", args: { order: "A-17", amount: 1250 } }
  // --- end ---

  expect(state.candidates).toMatchObject([{ guidance: "Send refund amounts as integer cents.", scope: { tenant: "acme", agent: "billing" }, evidence: ["ep-17"], status: "proposed" }]);
  expect(state.edgeCases).toMatchObject([{ kind: "must_pass", check: { type: "tool_call", name: "refund", args: { order: "A-17", amount: 1250 } } }]);
});
