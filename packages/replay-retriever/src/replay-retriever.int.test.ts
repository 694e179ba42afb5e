import { HumanMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { uniqueCollectionName } from "@lessonloop/chroma/testing";
import { ScriptedChatModel } from "@lessonloop/core/testing";
import { describe, expect, inject, it } from "vitest";
import { createReplayRetriever } from "./replay-retriever.js";
import type { RetrieverWarning } from "./retriever-warning.js";
import { REFUND_REQUEST, buildAgentGraph, type AgentStateType, refundLesson, systemTextOf, userScope } from "./tests/agent-graph.js";

const embedder = createLexicalEmbedder();
const author = { author: "tester" };

async function openMemory(prefix: string) {
  return ChromaLessonMemory.open({ url: inject("chromaUrl"), name: uniqueCollectionName(prefix), embedder });
}

// Generous: a shared CI machine must not turn a slow search into a (correct) degradation.
const PATIENT_MS = 10_000;

const ask = (text: string) => ({ messages: [new HumanMessage(text)] });

describe("replay-retriever on a real Chroma memory", () => {
  it("a committed lesson changes what the model is asked; after a rollback it does not", async () => {
    const memory = await openMemory("rr-commit");
    const model = new ScriptedChatModel({ responses: "Refunded the duplicate charge." });
    const graph = buildAgentGraph({ retriever: createReplayRetriever({ memory, scope: userScope, timeoutMs: PATIENT_MS }), model });

    await graph.invoke(ask(REFUND_REQUEST));
    expect(systemTextOf(model.calls[0]?.messages ?? [])).toBe("");

    const merged = await memory.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    const state = await graph.invoke(ask(REFUND_REQUEST));
    const asked = model.calls[1]?.messages ?? [];
    expect(asked[0]?.type).toBe("system");
    expect(systemTextOf(asked)).toContain("refund only the duplicate charge");
    expect(state.servedLessons.map((served) => served.lesson.id)).toEqual(["refund-duplicate-only"]);
    expect(state.lessonServedLog).toEqual([
      { step: 1, version: merged.version, input: expect.any(String), lessonIds: ["refund-duplicate-only"], exampleIds: [] },
    ]);

    await memory.rollback({ to: merged.parent ?? 0, reason: "it hurt", ...author });
    await graph.invoke(ask(REFUND_REQUEST));
    expect(systemTextOf(model.calls[2]?.messages ?? [])).toBe("");
  });

  it("serves user A's lessons to user A only", async () => {
    const memory = await openMemory("rr-scope");
    await memory.commit({
      add: [
        refundLesson("ana-refund", { scope: { tenant: "acme", user: "ana" }, guidance: "ana wants refunds as store credit" }),
        refundLesson("tenant-refund", { guidance: "refund only the duplicate charge and keep the original payment" }),
      ],
      reason: "learned",
      ...author,
    });
    const model = new ScriptedChatModel({ responses: "ok" });
    const graph = buildAgentGraph({ retriever: createReplayRetriever({ memory, scope: userScope, timeoutMs: PATIENT_MS }), model });

    await graph.invoke(ask(REFUND_REQUEST), { configurable: { userId: "ana" } });
    await graph.invoke(ask(REFUND_REQUEST), { configurable: { userId: "bob" } });
    const [ana, bob] = model.calls.map((call) => systemTextOf(call.messages));
    expect(ana).toContain("store credit");
    expect(ana).toContain("refund only the duplicate charge");
    expect(bob).not.toContain("store credit");
    expect(bob).toContain("refund only the duplicate charge");
  });

  it("pins a run to its memory version: resuming after a rollback keeps its lessons, new input gets the live ones", async () => {
    const memory = await openMemory("rr-pin");
    const first = await memory.commit({ add: [refundLesson("old-refund-rule", { guidance: "refund the full order amount" })], reason: "learned", ...author });
    // The model calls the order tool once per input, then answers.
    const model = new ScriptedChatModel({
      responses: ({ messages }) => (messages.at(-1)?.type === "tool" ? "Refunded." : { toolCalls: [{ name: "lookup_order", args: { id: 42 } }] }),
    });
    const graph = buildAgentGraph({
      retriever: createReplayRetriever({ memory, scope: userScope, timeoutMs: PATIENT_MS }),
      model,
      checkpointer: new MemorySaver(),
      tools: true,
      interruptBefore: ["tools"],
    });
    const thread = { configurable: { thread_id: "pinned", userId: "ana" } };

    await graph.invoke(ask(REFUND_REQUEST), thread);
    expect(systemTextOf(model.calls[0]?.messages ?? [])).toContain("refund the full order amount");

    // While the run waits before its tool, memory moves on: the old rule is rolled back, a new one merged.
    await memory.rollback({ to: first.parent ?? 0, reason: "old rule hurt", ...author });
    const live = await memory.commit({ add: [refundLesson("new-refund-rule")], reason: "better rule", ...author });

    await graph.invoke(null, thread);
    const resumed = systemTextOf(model.calls[1]?.messages ?? []);
    expect(resumed).toContain("refund the full order amount");
    expect(resumed).not.toContain("refund only the duplicate charge");
    const afterResume = { values: (await graph.getState(thread)).values as AgentStateType };
    expect(afterResume.values.lessonMemoryPin?.version).toBe(first.version);

    // New input in the same thread is a new run: it is served from the live version.
    await graph.invoke(ask(`${REFUND_REQUEST} Also order 43.`), thread);
    const fresh = systemTextOf(model.calls[2]?.messages ?? []);
    expect(fresh).toContain("refund only the duplicate charge");
    expect(fresh).not.toContain("refund the full order amount");
    const state = { values: (await graph.getState(thread)).values as AgentStateType };
    expect(state.values.lessonMemoryPin?.version).toBe(live.version);
    // One lessons message in the thread, however many retrievals ran.
    expect(state.values.messages.filter((message) => message.type === "system")).toHaveLength(1);
    expect(state.values.lessonServedLog.map((entry) => [entry.version, entry.lessonIds])).toEqual([
      [first.version, ["old-refund-rule"]],
      [first.version, ["old-refund-rule"]],
      [live.version, ["new-refund-rule"]],
    ]);
  });

  it("keeps the run going when the Chroma server goes down, and says why", async () => {
    const server = await startChroma();
    const memory = await ChromaLessonMemory.open({ url: server.url, name: uniqueCollectionName("rr-down"), embedder, freshnessMs: 0 });
    await memory.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    const warnings: RetrieverWarning[] = [];
    const model = new ScriptedChatModel({ responses: "Refunded." });
    const graph = buildAgentGraph({
      retriever: createReplayRetriever({ memory, scope: userScope, timeoutMs: 2_000, onWarning: (warning) => warnings.push(warning) }),
      model,
    });
    await server.stop();

    const events: { name: string; data: unknown }[] = [];
    const state = await graph.invoke(ask(REFUND_REQUEST), {
      callbacks: [{ handleCustomEvent: (name: string, data: unknown) => void events.push({ name, data }) }],
    });
    expect(state.messages.at(-1)?.text).toBe("Refunded.");
    expect(systemTextOf(model.calls[0]?.messages ?? [])).toBe("");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ source: "memory", code: "store_unavailable", effect: "served no lessons" });
    expect(warnings[0]?.message).toContain(server.url);
    expect(events).toEqual([{ name: "lessonloop.degraded", data: expect.objectContaining({ source: "memory", code: "store_unavailable" }) }]);
  });
});
