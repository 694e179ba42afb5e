// Issue 5: withLearning on a StateGraph builder and on a prebuilt createReactAgent, with
// scripted models and the real Chroma server. With empty memory the wrapped graph gives
// what the unwrapped one gives — outputs, checkpointed state, stream chunks — and it
// learns when it fails. Streams are compared chunk by chunk, in order, with LangGraph's
// default stream options (no `subgraphs: true`): the user's graph is inlined, not nested.
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { AIMessage, HumanMessage, RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import { Annotation, Command, END, MemorySaver, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { LessonloopError, type Episode } from "@lessonloop/core";
import { MEMORY_VERSION_METADATA_KEY } from "@lessonloop/core/internal";
import { lessonFixture } from "@lessonloop/core/conformance";
import { patchMemory } from "@lessonloop/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { LearningLoop } from "./learning-loop.js";
import {
  INVOICE_TASK,
  RIGHT_LESSON,
  SCOPE,
  TOOLS,
  createAgentBuilder,
  createAgentModel,
} from "./tests/invoice-world.js";
import { openInvoiceLoop } from "./tests/invoice-loop.js";
import { withLearning, type LearningTiming } from "./with-learning.js";

const loops: LearningLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
});

async function billingLoop() {
  // Nothing learned means no examples either: a first turn's success would be served to the second as one (example-serving.int.test.ts).
  const { loop, events } = await openInvoiceLoop({ name: "with-learning", params: { exampleStore: false } });
  loops.push(loop);
  return { loop, events };
}

/** A loop whose memory is unreachable: every read of it fails with `store_unavailable`. */
async function unreachableMemoryLoop() {
  const down = (): Promise<never> => Promise.reject(new LessonloopError("store_unavailable", "Chroma is down"));
  const { loop } = await openInvoiceLoop({ name: "with-learning-down", cases: [], wrapMemory: (memory) => patchMemory(memory, { headVersion: down, search: down }) });
  loops.push(loop);
  return loop;
}

/** A message without its generated id: what a user sees of it. */
function plain(message: BaseMessage): Record<string, unknown> {
  const toolCalls = "tool_calls" in message && Array.isArray(message.tool_calls) ? message.tool_calls.map(({ name, args }) => ({ name, args })) : [];
  return {
    type: message.getType(),
    content: message.content,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...("tool_call_id" in message ? { toolCallId: message.tool_call_id, status: "status" in message ? message.status : undefined } : {}),
  };
}

/** A state or stream chunk with every message made plain. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    if ("getType" in value && typeof value.getType === "function") return plain(value as BaseMessage);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  }
  return value;
}

const REFUND_TASK = "Refund 5.00 EUR on order A-1";
/** The machine is shared: give memory reads more than the retriever's default 1 s. */
const RETRIEVER_TIMEOUT_MS = 5_000;

/** A graph state with an append reducer besides messages: a subgraph must not apply it twice. */
const TracedState = Annotation.Root({
  ...MessagesAnnotation.spec,
  trace: Annotation<string[]>({ reducer: (previous, next) => previous.concat(next), default: () => [] }),
});

function tracedBuilder() {
  const inner = createAgentBuilder(createAgentModel()).compile();
  return new StateGraph(TracedState)
    .addNode("work", async (state) => {
      const result = await inner.invoke({ messages: state.messages });
      return { messages: result.messages.slice(state.messages.length), trace: [`turn ${state.trace.length + 1}`] };
    })
    .addEdge(START, "work")
    .addEdge("work", END);
}

type Messages = { messages: BaseMessage[] };

/** The wrapper's own nodes: their chunks are the only ones the wrapped stream may add. */
const OUR_NODES = new Set(["retrieve_lessons", "record_episode"]);

/** One chunk of a `streamMode: ["messages", "updates", "values"]` stream, as a user sees it. */
type Streamed = ["messages", Record<string, unknown>] | ["updates", unknown] | ["values", unknown];

/**
 * Streams one run in messages, updates and values modes at once (default options: no
 * `subgraphs`), keeping the order in which the chunks arrive. `own` holds the user
 * graph's chunks; `ours` the wrapper's nodes' (their node names, in order).
 */
async function streamRun(
  graph: { stream(input: Messages, config: Record<string, unknown>): Promise<AsyncIterable<unknown>> },
  input: Messages,
  threadId: string,
): Promise<{ own: Streamed[]; ours: [string, string[]][] }> {
  const own: Streamed[] = [];
  const ours: [string, string[]][] = [];
  for await (const chunk of await graph.stream(input, { configurable: { thread_id: threadId }, streamMode: ["messages", "updates", "values"] })) {
    const [mode, payload] = chunk as [string, unknown];
    if (mode === "messages") {
      const [message, metadata] = payload as [BaseMessage, { langgraph_node?: string }];
      if (OUR_NODES.has(metadata.langgraph_node ?? "")) ours.push([mode, [metadata.langgraph_node as string]]);
      else own.push([mode, plain(message)]);
    } else if (mode === "updates") {
      const nodes = Object.keys(payload as Record<string, unknown>);
      if (nodes.length > 0 && nodes.every((node) => OUR_NODES.has(node))) ours.push([mode, nodes]);
      else own.push([mode, normalize(payload)]);
    } else if (mode === "values") {
      own.push([mode, normalize(payload)]);
    } else {
      throw new Error(`unexpected stream mode ${mode}`);
    }
  }
  return { own, ours };
}

/** The wrapper's own state keys: checkpointed, shown by getState(), never returned nor streamed as values. */
const OUR_KEYS = ["servedLessons", "servedExamples", "lessonMemoryPin", "lessonServedLog", "lessonloopRun"];

/** A getState() values object split into the user's keys and the wrapper's. */
function splitState(values: Record<string, unknown>): { user: Record<string, unknown>; ours: Record<string, unknown> } {
  const entries = Object.entries(values);
  return {
    user: Object.fromEntries(entries.filter(([key]) => !OUR_KEYS.includes(key))),
    ours: Object.fromEntries(entries.filter(([key]) => OUR_KEYS.includes(key))),
  };
}

/** Runs the same two turns in one thread, and the same streamed turn, and returns what a user sees. */
async function observe(graph: {
  invoke(input: Messages, config: { configurable: { thread_id: string } }): Promise<unknown>;
  getState(config: { configurable: { thread_id: string } }): Promise<{ values: unknown }>;
  stream(input: Messages, config: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
}) {
  const thread = { configurable: { thread_id: "t-1" } };
  const first = await graph.invoke({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] }, thread);
  const second = await graph.invoke({ messages: [new HumanMessage({ id: "h-2", content: "Refund 7.25 EUR on order B-2" })] }, thread);
  const { user: state, ours } = splitState((await graph.getState(thread)).values as Record<string, unknown>);
  const streamed = await streamRun(graph, { messages: [new HumanMessage({ id: "h-3", content: REFUND_TASK })] }, "t-2");
  return { first: normalize(first), second: normalize(second), state: normalize(state), ours, streamed };
}

/** The wrapper's nodes' chunks with empty memory: one update each, nothing in messages or values. */
const OUR_CHUNKS = [
  ["updates", ["retrieve_lessons"]],
  ["updates", ["record_episode"]],
];

/** One chunk of a `subgraphs: true` stream: its namespace without task ids (`work:<id>` → `work`), mode and payload. */
type NamespacedChunk = [string[], string, unknown];

/** Streams one run with `subgraphs: true` in messages, updates and values modes, split into the user graph's chunks and ours. */
async function streamSubgraphsRun(
  graph: { stream(input: Messages, config: Record<string, unknown>): Promise<AsyncIterable<unknown>> },
  input: Messages,
  threadId: string,
): Promise<{ own: NamespacedChunk[]; ours: NamespacedChunk[] }> {
  const own: NamespacedChunk[] = [];
  const ours: NamespacedChunk[] = [];
  const config = { configurable: { thread_id: threadId }, streamMode: ["messages", "updates", "values"], subgraphs: true };
  for await (const chunk of await graph.stream(input, config)) {
    const [namespace, mode, payload] = chunk as [string[], string, unknown];
    const names = namespace.map((part) => part.split(":")[0] as string);
    if (mode === "messages") {
      const [message, metadata] = payload as [BaseMessage, { langgraph_node?: string }];
      if (names.length === 0 && OUR_NODES.has(metadata.langgraph_node ?? "")) ours.push([names, mode, [metadata.langgraph_node]]);
      else own.push([names, mode, plain(message)]);
    } else if (mode === "updates" && names.length === 0 && Object.keys(payload as object).every((node) => OUR_NODES.has(node))) {
      ours.push([names, mode, Object.keys(payload as object)]);
    } else {
      own.push([names, mode, normalize(payload)]);
    }
  }
  return { own, ours };
}

/** The modes of a stream, in order: where each message chunk arrives among the node updates and values. */
function modes(streamed: readonly Streamed[]): string[] {
  return streamed.map(([mode]) => mode);
}

describe("withLearning", () => {
  it("keeps a StateGraph builder's state, outputs, checkpoints and stream when memory is empty", async () => {
    const { loop } = await billingLoop();
    const episodes: unknown[] = [];
    const unwrapped = tracedBuilder().compile({ checkpointer: new MemorySaver() });
    const wrapped = withLearning(tracedBuilder(), {
      loop,
      scope: { ...SCOPE },
      learning: "sync",
      checkpointer: new MemorySaver(),
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
      onEpisode: (episode) => episodes.push(episode),
    });

    const expected = await observe(unwrapped);
    const actual = await observe(wrapped);

    expect(actual.first).toEqual(expected.first);
    expect(actual.second).toEqual(expected.second);
    // The append reducer ran once per turn, not once in the subgraph and again in the wrapper.
    expect(actual.second).toMatchObject({ trace: ["turn 1", "turn 2"] });
    expect(actual.state).toEqual(expected.state);
    // Beside the user's keys, getState() shows the run's pin and what it was served (nothing: memory is empty).
    expect(expected.ours).toEqual({});
    expect(actual.ours).toMatchObject({ servedLessons: [], lessonMemoryPin: { version: 0 }, lessonloopRun: { inputMessageId: "h-2" } });
    // Same chunks in the same order in every mode, plus only our nodes' updates.
    expect(actual.streamed.own).toEqual(expected.streamed.own);
    // The input's values, the work node's three new messages, its update, the values after it.
    expect(modes(expected.streamed.own)).toEqual(["values", "messages", "messages", "messages", "updates", "values"]);
    expect(expected.streamed.ours).toEqual([]);
    expect(actual.streamed.ours).toEqual(OUR_CHUNKS);
    // One episode a run: record_episode ran once, after the user's graph.
    expect(episodes).toHaveLength(3);
    // Memory was empty and stayed so: every run succeeded.
    expect(await loop.memory.headVersion()).toBe(0);
  });

  it("writes back what the user's graph did to its state: removed and replaced messages, last-value keys", async () => {
    const { loop } = await billingLoop();
    const State = Annotation.Root({ ...MessagesAnnotation.spec, summary: Annotation<string> });
    // Keeps the last two messages, rewrites the newest human message in place, and answers.
    const trimming = () =>
      new StateGraph(State)
        .addNode("trim", (state) => {
          const last = state.messages.at(-1) as BaseMessage;
          return {
            messages: [
              ...state.messages.slice(0, -2).map((message) => new RemoveMessage({ id: message.id as string })),
              new HumanMessage({ id: last.id as string, content: `${String(last.content)} (edited)` }),
              new AIMessage({ id: `ai-${state.messages.length}`, content: `seen ${state.messages.length}` }),
            ],
            summary: `turn with ${state.messages.length} messages`,
          };
        })
        .addEdge(START, "trim")
        .addEdge("trim", END);
    const unwrapped = trimming().compile({ checkpointer: new MemorySaver() });
    const wrapped = withLearning(trimming(), { loop, scope: { ...SCOPE }, learning: "off", checkpointer: new MemorySaver(), retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } });

    for (const graph of [unwrapped, wrapped]) {
      const thread = { configurable: { thread_id: "trim" } };
      await graph.invoke({ messages: [new HumanMessage({ id: "h-1", content: "one" })] }, thread);
      const second = await graph.invoke({ messages: [new HumanMessage({ id: "h-2", content: "two" })] }, thread);
      expect(normalize(second)).toEqual({
        messages: [
          { type: "ai", content: "seen 1" },
          { type: "human", content: "two (edited)" },
          { type: "ai", content: "seen 3" },
        ],
        summary: "turn with 3 messages",
      });
    }
  });

  it("keeps a prebuilt createReactAgent's outputs, checkpoints and stream when memory is empty", async () => {
    const { loop } = await billingLoop();
    const unwrapped = createReactAgent({ llm: createAgentModel(), tools: TOOLS, checkpointSaver: new MemorySaver() });
    const wrapped = withLearning(createReactAgent({ llm: createAgentModel(), tools: TOOLS, checkpointSaver: new MemorySaver() }), {
      loop,
      scope: { ...SCOPE },
      learning: "sync",
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
    });

    const expected = await observe(unwrapped);
    const actual = await observe(wrapped);

    expect(actual.first).toEqual(expected.first);
    expect(actual.second).toEqual(expected.second);
    expect(actual.state).toEqual(expected.state);
    expect(actual.ours).toMatchObject({ servedLessons: [], lessonMemoryPin: { version: 0 } });
    // Each model answer and tool result streams when its node finishes, between the node's
    // update and the step's values — not all at the end as one "agent" update.
    expect(actual.streamed.own).toEqual(expected.streamed.own);
    // agent (tool call), tools, agent (answer): each step's message, then its update, then its values.
    expect(modes(expected.streamed.own)).toEqual(["values", ...Array<string[]>(3).fill(["messages", "updates", "values"]).flat()]);
    expect(actual.streamed.ours).toEqual(OUR_CHUNKS);
    expect(await loop.memory.headVersion()).toBe(0);
  });

  it("keeps the user's interrupts: a run paused before the tools resumes where it stopped", async () => {
    const { loop } = await billingLoop();
    const thread = { configurable: { thread_id: "hitl" } };
    const unwrapped = createAgentBuilder(createAgentModel()).compile({ checkpointer: new MemorySaver(), interruptBefore: ["tools"] });
    const wrapped = withLearning(createAgentBuilder(createAgentModel()), {
      loop,
      scope: { ...SCOPE },
      learning: "sync",
      checkpointer: new MemorySaver(),
      interruptBefore: ["tools"],
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
    });
    const toolCall = { type: "ai", content: "", toolCalls: [{ name: "create_refund", args: { order: "A-1", amount: 5 } }] };

    const pausedPlain = await unwrapped.invoke({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] }, thread);
    expect(normalize(pausedPlain.messages.at(-1))).toEqual(toolCall);
    // Wrapped, the run pauses at the same node, in the graph's own state (no subgraph to look into).
    const pausedWrapped = await wrapped.invoke({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] }, thread);
    expect(normalize(pausedWrapped)).toEqual(normalize(pausedPlain));
    const [paused, pausedUnwrapped] = [await wrapped.getState(thread), await unwrapped.getState(thread)];
    expect(paused.next).toEqual(["tools"]);
    expect(paused.next).toEqual(pausedUnwrapped.next);
    expect(normalize(splitState(paused.values).user)).toEqual(normalize(pausedUnwrapped.values));

    const resumedPlain = await unwrapped.invoke(null, thread);
    const resumed = await wrapped.invoke(null, thread);
    expect(normalize(resumed)).toEqual(normalize(resumedPlain));
    expect(normalize(resumed.messages.at(-1))).toEqual({ type: "ai", content: "Done: Refunded 5 EUR on order A-1." });
    // The episode was recorded after the resumed run finished, and learned: a success teaches no lesson.
    expect(await loop.memory.headVersion()).toBe(0);
  });

  it("streams a model's tokens as they are generated, before its node's update", async () => {
    const { loop } = await billingLoop();
    // FakeListChatModel streams its answer one character at a time when LangGraph asks for tokens.
    const answering = () =>
      new StateGraph(MessagesAnnotation)
        .addNode("answer", async (state) => ({ messages: [await new FakeListChatModel({ responses: ["Refunded."] }).invoke(state.messages)] }))
        .addEdge(START, "answer")
        .addEdge("answer", END);
    const input = () => ({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] });
    const expected = await streamRun(answering().compile({ checkpointer: new MemorySaver() }), input(), "tokens");
    const actual = await streamRun(
      withLearning(answering(), { loop, scope: { ...SCOPE }, learning: "off", checkpointer: new MemorySaver(), retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } }),
      input(),
      "tokens",
    );

    const tokens = expected.own.filter(([mode]) => mode === "messages").map(([, message]) => (message as { content: unknown }).content);
    expect(tokens.join("")).toBe("Refunded.");
    expect(tokens.length).toBeGreaterThan(1);
    expect(modes(expected.own)).toEqual(["values", ...tokens.map(() => "messages"), "updates", "values"]);
    expect(actual.own).toEqual(expected.own);
    expect(actual.ours).toEqual(OUR_CHUNKS);
  });

  it("records one episode after the whole graph, however its branches end", async () => {
    const { loop } = await billingLoop();
    const State = Annotation.Root({ ...MessagesAnnotation.spec, steps: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    // Two parallel branches of different lengths; one ends by an edge to END, the other by Command({ goto: END }).
    const forked = () =>
      new StateGraph(State)
        .addNode("short", () => ({ steps: ["short"] }))
        .addNode("long1", () => ({ steps: ["long1"] }))
        .addNode("long2", () => new Command({ update: { steps: ["long2"], messages: [new AIMessage({ id: "ai-1", content: "done" })] }, goto: END }), { ends: [END] })
        .addEdge(START, "short")
        .addEdge(START, "long1")
        .addEdge("short", END)
        .addEdge("long1", "long2");
    const episodes: unknown[] = [];
    const wrapped = withLearning(forked(), { loop, scope: { ...SCOPE }, learning: "off", onEpisode: (episode) => episodes.push(episode), retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } });
    const input = () => ({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] });
    const expected = await streamRun(forked().compile({ checkpointer: new MemorySaver() }), input(), "fork");
    const actual = await streamRun(withLearning(forked(), { loop, scope: { ...SCOPE }, learning: "off", checkpointer: new MemorySaver(), retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } }), input(), "fork");
    expect(actual.own).toEqual(expected.own);
    expect(actual.ours).toEqual(OUR_CHUNKS);

    const result = await wrapped.invoke(input());
    expect([...result.steps].sort()).toEqual(["long1", "long2", "short"]);
    // One episode, recorded after the longer branch's last node: it saw that node's message.
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ input: REFUND_TASK, trajectory: expect.arrayContaining([{ type: "message", role: "assistant", content: "done" }]) });
  });

  it("serves lessons anchored to the tools the user declares, whatever the input's words; undeclared, text retrieval alone misses them", async () => {
    const { loop } = await billingLoop();
    const anchored = lessonFixture("anchored", { trigger: "when billing endpoint rejects payload", guidance: "check ledger columns twice", scope: SCOPE, tools: ["create_invoice"] });
    await loop.memory.commit({ add: [anchored], reason: "test lesson", author: "tester" });
    const seen: string[][] = [];
    const echo = () =>
      new StateGraph(MessagesAnnotation)
        .addNode("agent", (state) => {
          seen.push(state.messages.filter((message) => message.getType() === "system").map((message) => message.text));
          return { messages: [new AIMessage("ok")] };
        })
        .addEdge(START, "agent")
        .addEdge("agent", END);
    const run = (tools?: string[]) =>
      withLearning(echo(), { loop, scope: { ...SCOPE }, learning: "off", retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS }, ...(tools === undefined ? {} : { tools }) }).invoke({
        messages: [new HumanMessage(INVOICE_TASK)],
      });
    await run();
    await run(["create_refund"]);
    await run(["create_refund", "create_invoice"]);
    expect(seen.map((systems) => systems.some((text) => text.includes("check ledger columns twice")))).toEqual([false, false, true]);
    expect(() => withLearning(echo(), { loop, tools: ["create invoice"] })).toThrow(/withLearning tools/);
  });

  it("still answers and keeps the episode when memory is unreachable: served no lessons, recorded against version 0", async () => {
    const loop = await unreachableMemoryLoop();
    const episodes: Episode[] = [];
    const warnings: string[] = [];
    loop.subscribe((event) => {
      if (event.type === "warning" && event.source === "retriever") warnings.push(event.warning.code);
    });
    const agent = withLearning(createAgentBuilder(createAgentModel()), {
      loop,
      scope: { ...SCOPE },
      learning: "off",
      onEpisode: (episode) => episodes.push(episode),
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
    });
    const result = await agent.invoke({ messages: [new HumanMessage(REFUND_TASK)] });
    expect(String(result.messages.at(-1)?.content)).toContain("Done: Refunded");
    expect(warnings).toContain("store_unavailable");
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ input: REFUND_TASK, memoryVersion: 0, servedLessons: [] });
  });

  it("with a checkpointer and memory unreachable, still answers; checkpoints without a version are reported once, not once each", async () => {
    const loop = await unreachableMemoryLoop();
    const saver = new MemorySaver();
    const agent = withLearning(createAgentBuilder(createAgentModel()), {
      loop,
      scope: { ...SCOPE },
      learning: "off",
      checkpointer: saver,
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
    });
    const reported: string[] = [];
    loop.subscribe((event) => {
      if (event.type === "warning" && event.source === "checkpointer") reported.push(event.warning.effect);
    });
    for (const id of ["h-1", "h-2"]) {
      const result = await agent.invoke({ messages: [new HumanMessage({ id, content: REFUND_TASK })] }, { configurable: { thread_id: "down" } });
      expect(String(result.messages.at(-1)?.content)).toContain("Done: Refunded");
    }
    // Two runs, about a dozen checkpoints stored without a memory version: one warning says so.
    expect(reported).toEqual(["recorded no memory version"]);
    expect((await saver.getTuple({ configurable: { thread_id: "down" } }))?.metadata).not.toHaveProperty(MEMORY_VERSION_METADATA_KEY);
  });

  it("runs a graph it cannot inline as one agent node, with the same results", async () => {
    const { loop } = await billingLoop();
    // A node named like one of the wrapper's: the graph cannot be inlined.
    const clashing = () =>
      new StateGraph(MessagesAnnotation)
        .addNode("record_episode", () => ({ messages: [new AIMessage({ id: "ai-1", content: "noted" })] }))
        .addEdge(START, "record_episode")
        .addEdge("record_episode", END);
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
    let wrapped: ReturnType<typeof withLearning>;
    try {
      wrapped = withLearning(clashing(), { loop, scope: { ...SCOPE }, learning: "off", retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } });
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([expect.stringContaining('it has a node named "record_episode"')]);
    const input = { messages: [new HumanMessage({ id: "h-1", content: "note it" })] };
    expect(normalize(await wrapped.invoke(input))).toEqual(normalize(await clashing().compile().invoke(input)));
    const updates: unknown[] = [];
    for await (const chunk of await wrapped.stream(input, { streamMode: "updates" })) updates.push(Object.keys(chunk as object));
    expect(updates).toEqual([["retrieve_lessons"], ["agent"], ["record_episode"]]);
    // With subgraphs: true, the user's node streams from inside "agent".
    const nested: [string[], string[]][] = [];
    for await (const chunk of await wrapped.stream(input, { streamMode: "updates", subgraphs: true })) {
      const [namespace, payload] = chunk as [string[], object];
      nested.push([namespace.map((part) => part.split(":")[0] as string), Object.keys(payload)]);
    }
    expect(nested).toEqual([
      [[], ["retrieve_lessons"]],
      [["agent"], ["record_episode"]],
      [[], ["agent"]],
      [[], ["record_episode"]],
    ]);
  });

  it("streams with subgraphs: true as unwrapped: the user's nested subgraph chunks under its node's namespace", async () => {
    const { loop } = await billingLoop();
    // tracedBuilder's "work" node runs a compiled agent graph inside: its chunks are namespaced "work:<task>".
    const input = () => ({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] });
    const expected = await streamSubgraphsRun(tracedBuilder().compile({ checkpointer: new MemorySaver() }), input(), "nested");
    const actual = await streamSubgraphsRun(
      withLearning(tracedBuilder(), { loop, scope: { ...SCOPE }, learning: "off", checkpointer: new MemorySaver(), retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } }),
      input(),
      "nested",
    );
    expect(expected.own.some(([namespace]) => namespace.join("/") === "work")).toBe(true);
    expect(actual.own).toEqual(expected.own);
    expect(actual.ours).toEqual([
      [[], "updates", ["retrieve_lessons"]],
      [[], "updates", ["record_episode"]],
    ]);
  });

  it("pauses at the user's interrupt() and resumes with Command({ resume }); the episode is recorded once, after the resumed run", async () => {
    const { loop } = await billingLoop();
    // Human approval inside a node: interrupt() pauses the run, Command({ resume }) answers it.
    const approving = () =>
      new StateGraph(MessagesAnnotation)
        .addNode("approve", (state) => {
          const answer = interrupt({ question: `Refund? ${String(state.messages.at(-1)?.content)}` }) as string;
          return { messages: [new AIMessage({ id: "ai-1", content: answer === "yes" ? "Refunded." : "Not refunded." })] };
        })
        .addEdge(START, "approve")
        .addEdge("approve", END);
    const episodes: Episode[] = [];
    const unwrapped = approving().compile({ checkpointer: new MemorySaver() });
    const wrapped = withLearning(approving(), {
      loop,
      scope: { ...SCOPE },
      learning: "off",
      checkpointer: new MemorySaver(),
      onEpisode: (episode) => episodes.push(episode),
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
    });
    const thread = { configurable: { thread_id: "approval" } };
    const input = { messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] };

    const [pausedPlain, paused] = [await unwrapped.invoke(input, thread), await wrapped.invoke(input, thread)];
    // The same values and interrupt (its id is derived from the task, which differs).
    type Paused = { __interrupt__?: { value: unknown }[] } & Record<string, unknown>;
    const { __interrupt__: pausedAt, ...pausedValues } = paused as Paused;
    const { __interrupt__: pausedPlainAt, ...pausedPlainValues } = pausedPlain as Paused;
    expect(normalize(pausedValues)).toEqual(normalize(pausedPlainValues));
    expect(pausedAt?.map(({ value }) => value)).toEqual(pausedPlainAt?.map(({ value }) => value));
    expect(paused).toMatchObject({ __interrupt__: [{ value: { question: `Refund? ${REFUND_TASK}` } }] });
    expect((await wrapped.getState(thread)).next).toEqual(["approve"]);
    expect(episodes).toHaveLength(0);

    const [resumedPlain, resumed] = [await unwrapped.invoke(new Command({ resume: "yes" }), thread), await wrapped.invoke(new Command({ resume: "yes" }), thread)];
    expect(normalize(resumed)).toEqual(normalize(resumedPlain));
    expect(normalize(resumed.messages.at(-1))).toEqual({ type: "ai", content: "Refunded." });
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ input: REFUND_TASK, trajectory: expect.arrayContaining([{ type: "message", role: "assistant", content: "Refunded." }]) });
  });

  it("keeps a paused thread on the memory version it started with: resumed after a merge, it is served that version; its checkpoints record it", async () => {
    const { loop } = await billingLoop();
    const saver = new MemorySaver();
    const episodes: Episode[] = [];
    const agent = withLearning(createAgentBuilder(createAgentModel()), {
      loop,
      scope: { ...SCOPE },
      learning: "off",
      checkpointer: saver,
      interruptBefore: ["tools"],
      onEpisode: (episode) => episodes.push(episode),
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
    });
    const thread = { configurable: { thread_id: "pinned" } };
    /** The memory version recorded in the thread's latest checkpoint, as the user's own saver stores it. */
    const recordedVersion = async () => (await saver.getTuple(thread))?.metadata?.[MEMORY_VERSION_METADATA_KEY as "source"];

    await agent.invoke({ messages: [new HumanMessage({ id: "h-1", content: INVOICE_TASK })] }, thread);
    expect((await agent.getState(thread)).next).toEqual(["tools"]);
    expect(await recordedVersion()).toBe(0);
    // While the run waits before its tool call, the invoice lesson is merged: memory moves to version 1.
    const lesson = lessonFixture("invoice-cents", { trigger: RIGHT_LESSON.trigger, guidance: RIGHT_LESSON.guidance, rationale: RIGHT_LESSON.rationale, scope: { ...SCOPE } });
    await loop.memory.commit({ add: [lesson], reason: "merged while a run was paused", author: "tester" });
    expect(await loop.memory.headVersion()).toBe(1);

    // Resumed, the run goes on as it started, on version 0: it was served nothing and fails as before.
    const resumed = await agent.invoke(null, thread);
    expect(String(resumed.messages.at(-1)?.content)).toContain("I could not do it");
    expect(await recordedVersion()).toBe(0);
    expect(episodes).toEqual([expect.objectContaining({ memoryVersion: 0, servedLessons: [] })]);

    // The thread's next run starts on the live version and is served the lesson.
    await agent.invoke({ messages: [new HumanMessage({ id: "h-2", content: INVOICE_TASK })] }, thread);
    const fixed = await agent.invoke(null, thread);
    expect(String(fixed.messages.at(-1)?.content)).toContain("1250 cents");
    expect(await recordedVersion()).toBe(1);
    expect(episodes[1]).toMatchObject({ memoryVersion: 1, servedLessons: ["invoice-cents"] });
  });

  it.each<[string, LearningTiming]>([
    ["a StateGraph builder", "sync"],
    ["a prebuilt createReactAgent", "sync"],
  ])("learns when %s fails, and the next run succeeds (%s)", async (kind, learning) => {
    const { loop, events } = await billingLoop();
    const model = createAgentModel();
    const agent =
      kind === "a StateGraph builder"
        ? withLearning(createAgentBuilder(model), { loop, scope: { ...SCOPE }, learning, retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } })
        : withLearning(createReactAgent({ llm: model, tools: TOOLS }), { loop, scope: { ...SCOPE }, learning, retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS } });

    const failed = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(String(failed.messages.at(-1)?.content)).toContain("I could not do it");
    const merged = events.flatMap((event) => (event.type === "episode_learned" ? event.result.merged : []));
    expect(merged).toHaveLength(1);
    expect(await loop.memory.headVersion()).toBe(1);

    const succeeded = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(String(succeeded.messages.at(-1)?.content)).toContain("1250 cents");
  });
});
