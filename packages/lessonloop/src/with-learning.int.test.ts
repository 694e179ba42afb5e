// Issue 5: withLearning on a StateGraph builder and on a prebuilt createReactAgent, with
// scripted models and the real Chroma server. With empty memory the wrapped graph gives
// what the unwrapped one gives — outputs, checkpointed state, stream chunks — and it
// learns when it fails.
import { AIMessage, HumanMessage, RemoveMessage, type BaseMessage } from "@langchain/core/messages";
import { Annotation, END, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChromaEdgeCaseStore, ChromaLessonMemory, createLexicalEmbedder } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { LearningEvent } from "./learning-events.js";
import { createLearningLoop, type LearningLoop } from "./learning-loop.js";
import {
  AGENT_DESCRIPTION,
  INVOICE_TASK,
  RIGHT_LESSON,
  ROLE_PLAY_TOOLS,
  SCOPE,
  TOOLS,
  billingEvaluator,
  createAgentBuilder,
  createAgentModel,
  createLearnerModel,
  createPeerModel,
  regressionCases,
} from "./tests/invoice-world.js";
import { withLearning, type LearningTiming } from "./with-learning.js";

const embedder = createLexicalEmbedder();
const loops: LearningLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
});

async function billingLoop() {
  const url = testChromaUrl();
  const memory = await ChromaLessonMemory.open({ url, name: uniqueCollectionName("with-learning"), embedder });
  const edgeCaseStore = await ChromaEdgeCaseStore.open({ url, collection: uniqueCollectionName("with-learning-cases"), embedder });
  await edgeCaseStore.add(regressionCases());
  const events: LearningEvent[] = [];
  const loop = await createLearningLoop({
    learnerModel: createLearnerModel(RIGHT_LESSON),
    validatorModels: [createPeerModel("peer-a"), createPeerModel("peer-b"), createPeerModel("peer-c")],
    criticModel: null,
    evaluator: billingEvaluator,
    agentDescription: AGENT_DESCRIPTION,
    tools: ROLE_PLAY_TOOLS,
    memory,
    edgeCaseStore,
    onEvent: (event) => events.push(event),
  });
  loops.push(loop);
  return { loop, events };
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
/** The machine is shared: give memory reads more than the retriever's default 250 ms. */
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

/** Runs the same two turns in one thread, and the same streamed turn, and returns what a user sees. */
async function observe(graph: {
  invoke(input: Messages, config: { configurable: { thread_id: string } }): Promise<unknown>;
  getState(config: { configurable: { thread_id: string } }): Promise<{ values: unknown }>;
  stream(input: Messages, config: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
}) {
  const thread = { configurable: { thread_id: "t-1" } };
  const first = await graph.invoke({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] }, thread);
  const second = await graph.invoke({ messages: [new HumanMessage({ id: "h-2", content: "Refund 7.25 EUR on order B-2" })] }, thread);
  const state = (await graph.getState(thread)).values as Record<string, unknown>;
  const messageChunks: unknown[] = [];
  for await (const chunk of await graph.stream({ messages: [new HumanMessage({ id: "h-3", content: REFUND_TASK })] }, {
    configurable: { thread_id: "t-2" },
    streamMode: "messages",
  })) {
    const [message] = chunk as [BaseMessage, Record<string, unknown>];
    messageChunks.push(plain(message));
  }
  const valueChunks: unknown[] = [];
  for await (const chunk of await graph.stream({ messages: [new HumanMessage({ id: "h-4", content: REFUND_TASK })] }, {
    configurable: { thread_id: "t-3" },
    streamMode: "values",
  })) {
    valueChunks.push(normalize(chunk));
  }
  const updateChunks: unknown[] = [];
  for await (const chunk of await graph.stream({ messages: [new HumanMessage({ id: "h-5", content: REFUND_TASK })] }, {
    configurable: { thread_id: "t-4" },
    streamMode: "updates",
    subgraphs: true,
  })) {
    updateChunks.push(chunk);
  }
  return { first: normalize(first), second: normalize(second), state: normalize(state), messageChunks, valueChunks, updateChunks };
}

/** The user's graph's own update chunks: the subgraph's, without namespaces, and the top level's of the unwrapped graph. */
function ownUpdates(chunks: readonly unknown[], wrapped: boolean): unknown[] {
  return chunks.flatMap((chunk) => {
    const [namespace, update] = chunk as [string[], Record<string, unknown>];
    if (wrapped ? namespace.length === 1 && namespace[0]?.startsWith("agent:") : namespace.length === 0) return [normalize(update)];
    return [];
  });
}

describe("withLearning", () => {
  it("keeps a StateGraph builder's state, outputs, checkpoints and stream when memory is empty", async () => {
    const { loop } = await billingLoop();
    const unwrapped = tracedBuilder().compile({ checkpointer: new MemorySaver() });
    const wrapped = withLearning(tracedBuilder(), {
      loop,
      scope: { ...SCOPE },
      learning: "sync",
      checkpointer: new MemorySaver(),
      retriever: { timeoutMs: RETRIEVER_TIMEOUT_MS },
    });

    const expected = await observe(unwrapped);
    const actual = await observe(wrapped);

    expect(actual.first).toEqual(expected.first);
    expect(actual.second).toEqual(expected.second);
    // The append reducer ran once per turn, not once in the subgraph and again in the wrapper.
    expect(actual.second).toMatchObject({ trace: ["turn 1", "turn 2"] });
    expect(actual.state).toEqual(expected.state);
    expect(actual.messageChunks).toEqual(expected.messageChunks);
    expect(actual.valueChunks).toEqual(expected.valueChunks);
    expect(ownUpdates(actual.updateChunks, true)).toEqual(ownUpdates(expected.updateChunks, false));
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
    expect(actual.messageChunks).toEqual(expected.messageChunks);
    expect(actual.valueChunks.at(-1)).toEqual(expected.valueChunks.at(-1));
    expect(ownUpdates(actual.updateChunks, true)).toEqual(ownUpdates(expected.updateChunks, false));
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
    // Wrapped, the pause is inside the agent subgraph: the paused graph's own state is the subgraph's.
    await wrapped.invoke({ messages: [new HumanMessage({ id: "h-1", content: REFUND_TASK })] }, thread);
    const paused = await wrapped.getState(thread, { subgraphs: true });
    expect(paused.next).toEqual(["agent"]);
    const inner = paused.tasks[0]?.state;
    expect(inner !== undefined && "values" in inner ? normalize((inner.values as { messages: BaseMessage[] }).messages.at(-1)) : undefined).toEqual(toolCall);
    expect(inner !== undefined && "next" in inner ? inner.next : undefined).toEqual(["tools"]);

    const resumedPlain = await unwrapped.invoke(null, thread);
    const resumed = await wrapped.invoke(null, thread);
    expect(normalize(resumed)).toEqual(normalize(resumedPlain));
    expect(normalize(resumed.messages.at(-1))).toEqual({ type: "ai", content: "Done: Refunded 5 EUR on order A-1." });
    // The episode was recorded after the resumed run finished, and learned: a success teaches no lesson.
    expect(await loop.memory.headVersion()).toBe(0);
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
