import { MemorySaver, MessagesAnnotation, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { InMemoryEdgeCaseStore, InMemoryLessonMemory, LessonloopError, createLexicalEmbedder } from "@lessonloop/core";
import { ScriptedChatModel } from "@lessonloop/core/testing";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { isCreateAgent } from "./create-agent-detection.js";
import { createLearningLoop } from "./learning-loop.js";
import { invoiceLoopParams } from "./tests/invoice-world.js";
import { withLearning } from "./with-learning.js";

const model = () => new ScriptedChatModel({ responses: "hi" });

describe("isCreateAgent", () => {
  it("recognises a createAgent agent and its compiled graph", () => {
    const agent = createAgent({ model: model(), tools: [], checkpointer: new MemorySaver(), name: "billing" });
    expect(isCreateAgent(agent)).toBe(true);
    expect(isCreateAgent(agent.graph)).toBe(true);
  });

  it("does not take a hand-built graph, a createReactAgent or anything else for one", () => {
    const builder = new StateGraph(MessagesAnnotation).addNode("echo", () => ({})).addEdge("__start__", "echo");
    expect(isCreateAgent(builder)).toBe(false);
    expect(isCreateAgent(builder.compile())).toBe(false);
    expect(isCreateAgent(createReactAgent({ llm: model(), tools: [] }))).toBe(false);
    for (const value of [undefined, null, 42, "createAgent", {}, { options: {}, graph: {}, invoke: () => undefined }]) expect(isCreateAgent(value)).toBe(false);
  });
});

describe("withLearning given a createAgent agent", () => {
  it("throws an invalid_input error that says to add lessonloopMiddleware instead, for the agent and for its .graph", async () => {
    const embedder = createLexicalEmbedder();
    const loop = await createLearningLoop({
      ...invoiceLoopParams(),
      memory: new InMemoryLessonMemory({ embedder }),
      edgeCaseStore: new InMemoryEdgeCaseStore({ embedder }),
      embedder,
    });
    try {
      const agent = createAgent({ model: model(), tools: [], systemPrompt: "You are the billing agent." });
      // Neither type-checks as a graph (TS2769): JavaScript callers, and casts, can still pass them.
      for (const graph of [agent, agent.graph]) {
        let thrown: unknown;
        try {
          withLearning(graph as never, { loop });
        } catch (error) {
          thrown = error;
        }
        expect(LessonloopError.isInstance(thrown, "invalid_input")).toBe(true);
        expect((thrown as Error).message).toMatch(/createAgent agent.*lessonloopMiddleware\(loop/s);
      }
    } finally {
      await loop.close({ timeoutMs: 1_000 });
    }
  });
});
