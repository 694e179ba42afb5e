import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { MemorySaver, type LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  InMemoryLessonMemory,
  InMemoryOutcomeLedger,
  LessonloopError,
  createLexicalEmbedder,
  type OutcomeLedger,
} from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { createManualClock, createSeededRandom, patchMemory, ScriptedChatModel } from "@lessonloop/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryExampleSource, type ExampleSource } from "./example-source.js";
import { estimateTokens } from "./lesson-context.js";
import { createReplayRetriever, type ReplayRetrieverState } from "./replay-retriever.js";
import type { RetrieverWarning } from "./retriever-warning.js";
import { REFUND_REQUEST, buildAgentGraph, type AgentStateType, refundLesson, systemTextOf, userScope } from "./tests/agent-graph.js";
import { episodeFixture } from "./tests/episode-fixture.js";

const embedder = createLexicalEmbedder();
const author = { author: "tester" };
const tenant = () => ({ tenant: "acme" });
const ask = (text: string) => ({ messages: [new HumanMessage(text)] });
// Where the tests that expect no degradation send their warnings; checked after each test.
let unexpected: RetrieverWarning[] = [];
const noWarnings = (warning: RetrieverWarning) => void unexpected.push(warning);
afterEach(() => {
  const seen = unexpected;
  unexpected = [];
  expect(seen.map((warning) => `${warning.source}: ${warning.message}`)).toEqual([]);
});

async function memoryWith(...lessons: ReturnType<typeof refundLesson>[]): Promise<InMemoryLessonMemory> {
  const memory = new InMemoryLessonMemory({ embedder });
  if (lessons.length > 0) await memory.commit({ add: lessons, reason: "learned", ...author });
  return memory;
}

/** State as LangGraph hands it to the node, for direct calls. */
function stateOf(text: string): ReplayRetrieverState {
  return { messages: [new HumanMessage({ id: "human-1", content: text })], servedLessons: [], servedExamples: [], lessonServedLog: [] };
}

/** The text of the lessons message an update writes, "" for none. */
const lessonsText = (update: { messages?: BaseMessage[] }) => update.messages?.find((message) => message.type === "system")?.text ?? "";

const storeDown = () =>
  Promise.reject(new LessonloopError("store_unavailable", "Could not reach the Chroma server at http://127.0.0.1:1 to search lessons.", { cause: new Error("ECONNREFUSED") }));

describe("createReplayRetriever in a graph", () => {
  it("adds one lessons message first in the thread, replaces it on the next turn, removes it when nothing applies", async () => {
    const memory = await memoryWith(
      refundLesson("refund-duplicate-only"),
      refundLesson("shipping-address", { trigger: "the customer wants to change the shipping address", guidance: "confirm the new address before the parcel leaves the warehouse" }),
    );
    const model = new ScriptedChatModel({ responses: "ok" });
    const graph = buildAgentGraph({ retriever: createReplayRetriever({ memory, scope: tenant, onWarning: noWarnings }), model, checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: "t" } };

    await graph.invoke({ messages: [new SystemMessage("You are a support agent."), new HumanMessage(REFUND_REQUEST)] }, thread);
    const first = model.calls[0]?.messages ?? [];
    expect(first.map((message) => message.type)).toEqual(["system", "system", "human"]);
    expect(first[0]?.text).toBe("You are a support agent.");
    expect(first[1]?.text).toContain("Lessons learned from past runs");
    expect(first[1]?.text).toContain("Do: refund only the duplicate charge");
    expect(first[1]?.text).not.toContain("shipping address");

    await graph.invoke(ask("Change the shipping address of my order to Rua Augusta 1"), thread);
    const second = model.calls[1]?.messages ?? [];
    expect(second.map((message) => message.type)).toEqual(["system", "system", "human", "ai", "human"]);
    expect(second[1]?.text).toContain("confirm the new address");
    expect(second[1]?.text).not.toContain("duplicate charge");

    await graph.invoke(ask("What is the weather in Lisbon?"), thread);
    expect((model.calls[2]?.messages ?? []).map((message) => message.type)).toEqual(["system", "human", "ai", "human", "ai", "human"]);
    const state = { values: (await graph.getState(thread)).values as AgentStateType };
    expect(state.values.servedLessons).toEqual([]);
    expect(state.values.lessonServedLog.map((entry) => entry.lessonIds)).toEqual([["refund-duplicate-only"], ["shipping-address"], []]);
  });

  it("records the graph step of each retrieval and the lessons served to it", async () => {
    const memory = await memoryWith(refundLesson("refund-duplicate-only"));
    const model = new ScriptedChatModel({
      responses: ({ messages }) => (messages.at(-1)?.type === "tool" ? "Refunded." : { toolCalls: [{ name: "lookup_order", args: { id: 42 } }] }),
    });
    const graph = buildAgentGraph({ retriever: createReplayRetriever({ memory, scope: tenant, onWarning: noWarnings }), model, tools: true });
    const state = await graph.invoke(ask(REFUND_REQUEST));
    // Steps: 1 retrieve, 2 agent, 3 tools, 4 retrieve, 5 agent.
    expect(state.lessonServedLog.map((entry) => [entry.step, entry.version, entry.lessonIds])).toEqual([
      [1, 1, ["refund-duplicate-only"]],
      [4, 1, ["refund-duplicate-only"]],
    ]);
    expect(state.messages.filter((message) => message.type === "system")).toHaveLength(1);
  });

  it("credits proven utility from the ledger", async () => {
    const memory = await memoryWith(
      refundLesson("refund-a", { guidance: "refund the duplicate charge to the original card" }),
      refundLesson("refund-b", { guidance: "refund the duplicate charge to the original card" + " today" }),
    );
    const ledger = new InMemoryOutcomeLedger();
    const retrieve = (ledgerParam?: OutcomeLedger) =>
      createReplayRetriever({ memory, scope: tenant, ledger: ledgerParam, maxLessons: 1, onWarning: noWarnings })(stateOf(REFUND_REQUEST), {});
    const before = await retrieve(ledger);
    const loser = before.servedLessons[0]?.lesson.id;
    const winner = loser === "refund-a" ? "refund-b" : "refund-a";
    for (let i = 0; i < 5; i++) {
      await ledger.record({ episodeId: `win-${i}`, scope: { tenant: "acme" }, memoryVersion: 1, servedLessons: [winner], status: "success", recordedAt: "2026-01-02T00:00:00.000Z" });
      await ledger.record({ episodeId: `lose-${i}`, scope: { tenant: "acme" }, memoryVersion: 1, servedLessons: [loser ?? ""], status: "failure", recordedAt: "2026-01-02T00:00:00.000Z" });
    }
    const after = await retrieve(ledger);
    expect(after.servedLessons.map((served) => served.lesson.id)).toEqual([winner]);
    expect(after.servedLessons[0]?.utility).toBeCloseTo(6 / 7, 10);
  });
});

describe("token budget", () => {
  const words = ["refund", "charge", "order", "invoice", "customer", "card", "duplicate", "amount", "currency", "shipping", "address", "warehouse"];

  it("never exceeds the budget, whatever the lessons, examples and budget", async () => {
    const random = createSeededRandom(7);
    const sentence = (min: number, max: number) => Array.from({ length: random.int(min, max) }, () => random.pick(words)).join(" ");
    const memory = await memoryWith(
      ...Array.from({ length: 40 }, (_, index) => lessonFixture(`lesson-${index}`, { trigger: `order refund ${sentence(3, 40)}`, guidance: sentence(5, 200) })),
    );
    const examples = new InMemoryExampleSource({ embedder });
    await examples.add(Array.from({ length: 10 }, (_, index) => episodeFixture(`episode-${index}`, { input: `refund order ${sentence(3, 30)}` })));
    let served = 0;
    for (let run = 0; run < 60; run++) {
      const budget = random.int(1, 900);
      const update = await createReplayRetriever({ memory, examples, scope: tenant, budget, minRelevance: 0, maxLessons: 20, onWarning: noWarnings })(
        stateOf(`refund order ${sentence(2, 20)}`),
        {},
      );
      const text = lessonsText(update);
      expect(estimateTokens(text)).toBeLessThanOrEqual(budget);
      expect(text === "").toBe(update.servedLessons.length === 0 && update.servedExamples.length === 0);
      served += update.servedLessons.length;
    }
    // Not vacuous: most runs served something.
    expect(served).toBeGreaterThan(60);
  });

  it("uses the given token counter and renderer", async () => {
    const memory = await memoryWith(refundLesson("a"), refundLesson("b", { guidance: "tell the customer when the refund of the charge will arrive" }));
    const countTokens = (text: string) => text.split(/\s+/).filter(Boolean).length;
    const render = ({ lessons }: { lessons: readonly { lesson: { id: string } }[] }) => lessons.map(({ lesson }) => `lesson ${lesson.id} applies here`).join("\n");
    const one = await createReplayRetriever({ memory, scope: tenant, countTokens, render, budget: 5, onWarning: noWarnings })(stateOf(REFUND_REQUEST), {});
    expect(lessonsText(one)).toMatch(/^lesson [ab] applies here$/);
    const two = await createReplayRetriever({ memory, scope: tenant, countTokens, render, budget: 8, onWarning: noWarnings })(stateOf(REFUND_REQUEST), {});
    expect(two.servedLessons).toHaveLength(2);
  });
});

describe("experience replay", () => {
  it("renders successful past runs after the lessons, within the same budget, lessons first", async () => {
    const memory = await memoryWith(refundLesson("refund-duplicate-only"));
    const examples = new InMemoryExampleSource({ embedder });
    await examples.add([episodeFixture("past-refund"), episodeFixture("past-weather", { input: "What is the weather in Lisbon?" })]);
    const retrieve = (budget: number) => createReplayRetriever({ memory, examples, maxExamples: 1, scope: tenant, budget, onWarning: noWarnings })(stateOf(REFUND_REQUEST), {});

    const roomy = await retrieve(600);
    const text = lessonsText(roomy);
    expect(roomy.servedExamples.map((example) => example.id)).toEqual(["past-refund"]);
    expect(text).toContain("Successful past runs of similar tasks");
    expect(text).toContain('call lookup_order({"id":42})');
    expect(text.indexOf("Do: refund only the duplicate charge")).toBeLessThan(text.indexOf("Example 1. Task: Refund order 42"));
    expect(estimateTokens(text)).toBeLessThanOrEqual(600);
    expect(roomy.lessonServedLog?.[0]?.exampleIds).toEqual(["past-refund"]);

    // Room for the lesson but not the example: the lesson stays, the example goes.
    const tight = await retrieve(estimateTokens(text) - 5);
    expect(tight.servedLessons.map((served) => served.lesson.id)).toEqual(["refund-duplicate-only"]);
    expect(tight.servedExamples).toEqual([]);
  });
});

describe("pinning", () => {
  it("reuses the pin for the same input and takes the live version for new input", async () => {
    const memory = await memoryWith(refundLesson("v1-rule", { guidance: "refund the full amount" }));
    const retrieve = createReplayRetriever({ memory, scope: tenant, onWarning: noWarnings });
    const state = stateOf(REFUND_REQUEST);
    const first = await retrieve(state, {});
    expect(first.lessonMemoryPin?.version).toBe(1);
    await memory.commit({ add: [refundLesson("v2-rule")], retire: ["v1-rule"], reason: "better", ...author });

    const again = await retrieve({ ...state, lessonMemoryPin: first.lessonMemoryPin }, {});
    expect(again.lessonMemoryPin).toBeUndefined(); // unchanged
    expect(again.servedLessons.map((served) => served.lesson.id)).toEqual(["v1-rule"]);

    // The same words as a new message are a new run.
    const repeated = { ...state, messages: [...(state.messages ?? []), new AIMessage("done"), new HumanMessage({ id: "human-2", content: REFUND_REQUEST })] };
    const fresh = await retrieve({ ...repeated, lessonMemoryPin: first.lessonMemoryPin }, {});
    expect(fresh.lessonMemoryPin?.version).toBe(2);
    expect(fresh.servedLessons.map((served) => served.lesson.id)).toEqual(["v2-rule"]);
  });

  it("answers a pinned run's later steps from its cache: a version never changes", async () => {
    const inner = await memoryWith(refundLesson("v1-rule"));
    let searches = 0;
    const memory = patchMemory(inner, { search: (request) => (searches++, inner.search(request)) });
    const retrieve = createReplayRetriever({ memory, scope: tenant, onWarning: noWarnings });
    const state = stateOf(REFUND_REQUEST);
    const first = await retrieve(state, {});
    const later = await retrieve({ ...state, lessonMemoryPin: first.lessonMemoryPin }, {});
    expect(searches).toBe(1);
    expect(later.servedLessons.map((served) => served.lesson)).toEqual(first.servedLessons.map((served) => served.lesson));
    // The served lessons are copies: changing them in the state leaves the cache as read.
    (later.servedLessons[0] as { lesson: { guidance: string } }).lesson.guidance = "changed";
    const again = await retrieve({ ...state, lessonMemoryPin: first.lessonMemoryPin }, {});
    expect(again.servedLessons[0]?.lesson.guidance).toBe("refund only the duplicate charge and keep the original payment");
    // Another scope, or the live version for new input, is searched again.
    await memory.commit({ add: [refundLesson("v2-rule")], reason: "more", ...author });
    await retrieve(stateOf(`${REFUND_REQUEST} Again.`), {});
    await createReplayRetriever({ memory, scope: () => ({ tenant: "acme", user: "ana" }), onWarning: noWarnings })({ ...state, lessonMemoryPin: first.lessonMemoryPin }, {});
    expect(searches).toBe(3);
  });

  it("pins a custom input by its text", async () => {
    const memory = await memoryWith(refundLesson("v1-rule"));
    const retrieve = createReplayRetriever<ReplayRetrieverState & { task?: string }>({ memory, scope: tenant, input: (state) => state.task, onWarning: noWarnings });
    const first = await retrieve({ task: REFUND_REQUEST, lessonServedLog: [] }, {});
    await memory.commit({ add: [refundLesson("v2-rule")], reason: "more", ...author });
    const same = await retrieve({ task: REFUND_REQUEST, lessonServedLog: [], lessonMemoryPin: first.lessonMemoryPin }, {});
    expect(same.lessonServedLog?.[0]?.version).toBe(1);
    const other = await retrieve({ task: `${REFUND_REQUEST} Now.`, lessonServedLog: [], lessonMemoryPin: first.lessonMemoryPin }, {});
    expect(other.lessonServedLog?.[0]?.version).toBe(2);
    expect(same.messages).toBeUndefined(); // no messages in this state: nothing to write to
  });
});

describe("degradation", () => {
  it("answers without lessons when memory throws, warns with the cause and dispatches a custom event", async () => {
    const inner = await memoryWith(refundLesson("refund-duplicate-only"));
    const memory = patchMemory(inner, { search: storeDown });
    const warnings: RetrieverWarning[] = [];
    const model = new ScriptedChatModel({ responses: "Refunded." });
    const graph = buildAgentGraph({ retriever: createReplayRetriever({ memory, scope: userScope, onWarning: (warning) => warnings.push(warning) }), model });

    const events: { name: string; data: unknown }[] = [];
    let answer: BaseMessage | undefined;
    for await (const event of graph.streamEvents(ask(REFUND_REQUEST), { version: "v2", configurable: { userId: "ana" } })) {
      if (event.event === "on_custom_event") events.push({ name: event.name, data: event.data });
      if (event.event === "on_chain_end" && event.name === "LangGraph") answer = (event.data.output as { messages: BaseMessage[] }).messages.at(-1);
    }
    expect(answer?.text).toBe("Refunded.");
    expect(systemTextOf(model.calls[0]?.messages ?? [])).toBe("");
    expect(warnings).toEqual([
      expect.objectContaining({ type: "lessonloop.degraded", source: "memory", code: "store_unavailable", effect: "served no lessons", scope: { tenant: "acme", user: "ana" }, step: 1 }),
    ]);
    expect((warnings[0]?.cause as LessonloopError).cause).toEqual(new Error("ECONNREFUSED"));
    expect(events).toEqual([
      {
        name: "lessonloop.degraded",
        data: {
          type: "lessonloop.degraded",
          source: "memory",
          effect: "served no lessons",
          code: "store_unavailable",
          message: expect.stringContaining("Could not reach the Chroma server"),
          scope: { tenant: "acme", user: "ana" },
          step: 1,
        },
      },
    ]);
  });

  it("does not let a hanging memory stall the agent", async () => {
    const inner = await memoryWith(refundLesson("refund-duplicate-only"));
    const memory = patchMemory(inner, { headVersion: () => new Promise<number>(() => undefined) });
    const warnings: RetrieverWarning[] = [];
    const model = new ScriptedChatModel({ responses: "Refunded." });
    const graph = buildAgentGraph({ retriever: createReplayRetriever({ memory, scope: tenant, timeoutMs: 40, onWarning: (warning) => warnings.push(warning) }), model });
    const started = performance.now();
    const state = await graph.invoke(ask(REFUND_REQUEST));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(state.messages.at(-1)?.text).toBe("Refunded.");
    expect(warnings.map((warning) => [warning.source, warning.code])).toEqual([["memory", "timeout"]]);
    expect(warnings[0]?.message).toContain("40 ms");
  });

  it("drops a previous lessons message when memory fails on a later turn", async () => {
    const inner = await memoryWith(refundLesson("refund-duplicate-only"));
    let down = false;
    const memory = patchMemory(inner, { search: (request) => (down ? storeDown() : inner.search(request)) });
    const model = new ScriptedChatModel({ responses: "ok" });
    const graph = buildAgentGraph({ retriever: createReplayRetriever({ memory, scope: tenant, onWarning: () => undefined }), model, checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: "t" } };
    await graph.invoke(ask(REFUND_REQUEST), thread);
    down = true;
    await graph.invoke(ask(`${REFUND_REQUEST} And order 43.`), thread);
    expect(systemTextOf(model.calls[0]?.messages ?? [])).toContain("duplicate charge");
    expect(systemTextOf(model.calls[1]?.messages ?? [])).toBe("");
  });

  it("ranks without utility when the ledger fails, and serves no examples when the example source fails", async () => {
    const memory = await memoryWith(refundLesson("refund-duplicate-only"));
    const ledger: OutcomeLedger = {
      record: async () => undefined,
      lessonUtility: () => storeDown(),
      versionOutcomes: () => storeDown(),
      countOutcomes: () => storeDown(),
      looks: () => storeDown(),
      saveLook: () => storeDown(),
    };
    const examples: ExampleSource = { findExamples: () => Promise.reject(new Error("episode store offline")) };
    const warnings: RetrieverWarning[] = [];
    const update = await createReplayRetriever({ memory, ledger, examples, scope: tenant, onWarning: (warning) => warnings.push(warning) })(stateOf(REFUND_REQUEST), {});
    expect(update.servedLessons.map((served) => served.lesson.id)).toEqual(["refund-duplicate-only"]);
    expect(update.servedLessons[0]?.utility).toBe(0.5);
    expect(warnings.map((warning) => [warning.source, warning.code, warning.message]).sort()).toEqual([
      ["examples", "store_unavailable", "episode store offline"],
      ["ledger", "store_unavailable", expect.stringContaining("Could not reach")],
    ]);
  });

  it("warns once when the state lacks LessonContextAnnotation", async () => {
    const memory = await memoryWith(refundLesson("refund-duplicate-only"));
    const warnings: RetrieverWarning[] = [];
    const retrieve = createReplayRetriever({ memory, scope: tenant, onWarning: (warning) => warnings.push(warning) });
    const bare = { messages: [new HumanMessage({ id: "h", content: REFUND_REQUEST })] };
    await retrieve(bare, {});
    await retrieve(bare, {});
    expect(warnings.map((warning) => warning.source)).toEqual(["state"]);
    expect(warnings[0]?.message).toContain("LessonContextAnnotation");
  });
});

describe("parameters", () => {
  it("rejects bad parameters by name", async () => {
    const memory = await memoryWith();
    expect(() => createReplayRetriever({ memory, scope: tenant, candidates: 0 })).toThrow(/candidates/);
    expect(() => createReplayRetriever({ memory, scope: tenant, weights: { utility: -1 } })).toThrow(/weights\.utility/);
    expect(() => createReplayRetriever({ memory, scope: tenant, budget: 0 })).toThrow(/budget/);
  });

  it("throws for a bad scope: that is a bug in the graph, not an outage", async () => {
    const memory = await memoryWith();
    const retrieve = createReplayRetriever({ memory, scope: (_state, config: LangGraphRunnableConfig) => ({ tenant: String(config.configurable?.["tenant"] ?? "") }) });
    await expect(retrieve(stateOf(REFUND_REQUEST), {})).rejects.toThrow(/scope.*tenant/);
  });

  it("serves recent lessons before old ones by the injected clock", async () => {
    const clock = createManualClock("2026-06-01T00:00:00.000Z");
    const memory = await memoryWith(
      refundLesson("a-old", { createdAt: "2025-01-01T00:00:00.000Z" }),
      refundLesson("b-new", { createdAt: "2026-05-31T00:00:00.000Z" }),
    );
    const retrieve = createReplayRetriever({ memory, scope: tenant, clock, maxSimilarity: 1, onWarning: noWarnings });
    expect((await retrieve(stateOf(REFUND_REQUEST), {})).servedLessons.map((served) => served.lesson.id)).toEqual(["b-new", "a-old"]);
  });
});
