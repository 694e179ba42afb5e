// The README's quickstart, run as written (with a scripted model in place of a real one).
import { HumanMessage } from "@langchain/core/messages";
import { Annotation, END, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { InMemoryLessonMemory, createLexicalEmbedder } from "@lessonloop/core";
import { ScriptedChatModel } from "@lessonloop/core/testing";
import { expect, it } from "vitest";
import { LessonContextAnnotation, createReplayRetriever } from "./index.js";

it("runs the README quickstart", async () => {
  const model = new ScriptedChatModel({ responses: "Refunded the duplicate charge." });

  // --- README quickstart ---
  const memory = new InMemoryLessonMemory({ embedder: createLexicalEmbedder() });
  await memory.commit({
    add: [
      {
        id: "refund-duplicate-only",
        trigger: "a customer asks for a refund of an order that was charged twice",
        guidance: "refund only the duplicate charge and keep the original payment",
        kind: "strategy",
        scope: { tenant: "acme" },
        provenance: { agent: "support-bot", model: "gpt-4o-mini", proposedAt: new Date().toISOString() },
        createdAt: new Date().toISOString(),
      },
    ],
    reason: "learned from episode 17",
    author: "ana",
  });

  const State = Annotation.Root({ ...MessagesAnnotation.spec, ...LessonContextAnnotation.spec });

  const graph = new StateGraph(State)
    .addNode(
      "retrieve_lessons",
      createReplayRetriever({
        memory,
        scope: (_state, config) => ({ tenant: "acme", user: config.configurable?.["userId"] }),
      }),
    )
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addEdge(START, "retrieve_lessons")
    .addEdge("retrieve_lessons", "agent")
    .addEdge("agent", END)
    .compile({ checkpointer: new MemorySaver() });

  const result = await graph.invoke(
    { messages: [new HumanMessage("Please refund order 42, I was charged twice.")] },
    { configurable: { thread_id: "t1", userId: "bob" } },
  );
  // --- end ---

  expect(result.servedLessons.map((served) => served.lesson.id)).toEqual(["refund-duplicate-only"]);
  expect(model.calls[0]?.messages[0]?.text).toContain("Do: refund only the duplicate charge");
});
