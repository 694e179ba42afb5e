// The README's quickstart, run as written (with a scripted judge in place of a real model).
import { END, START, StateGraph } from "@langchain/langgraph";
import type { EpisodeInput } from "@lessonloop/core";
import { ScriptedChatModel } from "@lessonloop/core/testing";
import { expect, it } from "vitest";
import { CriticStateAnnotation, createCritic } from "./index.js";

it("runs the README quickstart", async () => {
  const model = new ScriptedChatModel({ responses: [] });

  // --- README quickstart ---
  const episode: EpisodeInput = {
    id: "ep-17",
    input: "Refund 12.50 EUR on order A-17.",
    trajectory: [
      { type: "tool_call", id: "c1", name: "refund", args: { order: "A-17", amount: 12.5 } },
      { type: "tool_result", callId: "c1", name: "refund", content: "400: amount must be an integer number of cents", isError: true },
      { type: "tool_call", id: "c2", name: "refund", args: { order: "A-17", amount: 1250 } },
      { type: "tool_result", callId: "c2", name: "refund", content: "Refunded 1250 cents.", isError: false },
      { type: "message", role: "assistant", content: "Refunded 12.50 EUR on A-17." },
    ],
    outcome: { status: "unknown", signal: { source: "none", detail: "" } },
    scope: { tenant: "acme", user: "ana", agent: "billing" },
    memoryVersion: 3,
    startedAt: new Date().toISOString(),
  };

  const graph = new StateGraph(CriticStateAnnotation)
    .addNode("critic", createCritic({ model }))
    .addEdge(START, "critic")
    .addEdge("critic", END)
    .compile();

  const { judgement } = await graph.invoke({ episode });
  console.log(judgement?.status, judgement?.signal.source, judgement?.worthLearning.learn); // recovered environment true
  console.log(judgement?.recovery?.retryCall); // { name: "refund", args: { order: "A-17", amount: 1250 } }
  // --- end ---

  expect(judgement).toMatchObject({ status: "recovered", signal: { source: "environment" }, worthLearning: { learn: true } });
  expect(judgement?.recovery?.retryCall).toEqual({ name: "refund", args: { order: "A-17", amount: 1250 } });
  // A tool error decided it: the judge was not asked.
  expect(model.callCount).toBe(0);
});
