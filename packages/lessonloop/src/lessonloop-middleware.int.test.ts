// Issue 16: lessonloopMiddleware on LangChain v1 `createAgent` agents, with the real
// `langchain` package, scripted models (and ChatOpenAI over the OpenAI protocol) and the
// real Chroma server. What is asserted is what a user sees: the requests the model got,
// the thread's messages, the stream, the episodes recorded and the run's result.
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { ChatOpenAI } from "@langchain/openai";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { InMemoryOutcomeLedger, type Episode, type LessonInput, type Scope } from "@lessonloop/core";
import { lessonFixture } from "@lessonloop/core/conformance";
import { ScriptedChatModel, patchMemory, startOpenAiProtocolServer, type ChatCompletionMessage, type ScriptedCall } from "@lessonloop/core/testing";
import { createAgent, humanInTheLoopMiddleware, summarizationMiddleware } from "langchain";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { LearningEvent } from "./learning-events.js";
import { createLearningLoop, type LearningLoop, type LearningLoopParams } from "./learning-loop.js";
import { LESSONLOOP_RUN_KEY, lessonloopMiddleware } from "./lessonloop-middleware.js";
import { INVOICE_TASK, RIGHT_LESSON, SCOPE, TOOLS, createAgentModel, decide, invoiceLoopParams, regressionCases } from "./tests/invoice-world.js";

const SYSTEM_PROMPT = "You are the billing agent of a small shop.";
/** The machine is shared: give memory reads more than the selection's default 1 s. */
const RETRIEVER = { timeoutMs: 5_000 };

const loops: LearningLoop[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(closers.splice(0).map((close) => close()));
  await Promise.all(loops.splice(0).map((loop) => loop.close({ timeoutMs: 1_000 })));
});

async function billingLoop(overrides: Partial<LearningLoopParams> = {}) {
  const events: LearningEvent[] = [];
  const loop = await createLearningLoop({
    ...invoiceLoopParams(),
    chromaUrl: testChromaUrl(),
    memoryName: uniqueCollectionName("middleware"),
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  loops.push(loop);
  await loop.edgeCaseStore.add(regressionCases());
  return { loop, events };
}

async function mergeLessons(loop: LearningLoop, lessons: LessonInput[]): Promise<void> {
  await loop.memory.commit({ add: lessons.map((lesson) => ({ ...lesson, status: "approved" })), reason: "test lessons", author: "tester" });
}

/** The invoice world's right lesson, merged directly. */
function centsLesson(): LessonInput {
  return lessonFixture("cents", { trigger: RIGHT_LESSON.trigger, guidance: RIGHT_LESSON.guidance, kind: RIGHT_LESSON.kind, scope: SCOPE });
}

function text(message: BaseMessage): string {
  return message.text;
}

const systemTexts = (messages: readonly BaseMessage[]) => messages.filter((message) => message.getType() === "system").map(text);
const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("lessonloopMiddleware with ScriptedChatModel", () => {
  it("puts a merged lesson into the one system message of every model call, after the user's prompt — never before the merge, never into the thread", async () => {
    const { loop } = await billingLoop();
    const model = createAgentModel();
    const agent = createAgent({
      model,
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      checkpointer: new MemorySaver(),
      middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "sync", retriever: RETRIEVER })],
    });

    // Before any lesson: the user's prompt alone, and the old API fails.
    const first = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }, thread("before"));
    expect(model.calls.map((call) => systemTexts(call.messages))).toEqual([[SYSTEM_PROMPT], [SYSTEM_PROMPT]]);
    expect(first.messages.at(-1)?.text).toMatch(/^I could not do it/);
    // The run's episode was learned before invoke returned: the lesson is merged now.
    const merged = await loop.memory.list({ scope: SCOPE });
    expect(merged.map((lesson) => lesson.guidance)).toEqual([RIGHT_LESSON.guidance]);

    const callsBefore = model.calls.length;
    const second = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }, thread("after"));
    const calls = model.calls.slice(callsBefore);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const systems = systemTexts(call.messages);
      expect(systems).toHaveLength(1);
      expect(call.messages[0]?.getType()).toBe("system");
      expect(systems[0]?.startsWith(`${SYSTEM_PROMPT}\n\n`)).toBe(true);
      expect(systems[0]).toContain(RIGHT_LESSON.guidance);
    }
    // The agent followed it: the invoice went out in cents.
    expect(second.messages.at(-1)?.text).toBe("Done: Invoice INV-7 for ACME: 1250 cents.");

    // The thread's history holds the conversation only, and the output has no key of the middleware.
    for (const id of ["before", "after"]) {
      const { values } = await agent.graph.getState(thread(id));
      const messages = (values as { messages: BaseMessage[] }).messages;
      expect(messages.map((message) => message.getType())).toEqual(["human", "ai", "tool", "ai"]);
      expect(messages.some((message) => text(message).includes(RIGHT_LESSON.guidance))).toBe(false);
    }
    expect(Object.keys(second).sort()).toEqual(["messages"]);
  });

  it("learns in the background by default: the run returns at once, the loop's queue learns it", async () => {
    const { loop, events } = await billingLoop();
    const model = createAgentModel();
    const agent = createAgent({ model, tools: TOOLS, systemPrompt: SYSTEM_PROMPT, middleware: [lessonloopMiddleware(loop, { scope: SCOPE, retriever: RETRIEVER })] });
    const first = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(first.messages.at(-1)?.text).toMatch(/^I could not do it/);
    await loop.idle();
    expect(events.filter((event) => event.type === "episode_learned")).toHaveLength(1);
    expect((await loop.memory.list({ scope: SCOPE })).map((lesson) => lesson.guidance)).toEqual([RIGHT_LESSON.guidance]);
    const second = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(second.messages.at(-1)?.text).toBe("Done: Invoice INV-7 for ACME: 1250 cents.");
  });

  it("with learning off, credits each run's outcome to the lessons it was served, and learns nothing", async () => {
    const { loop, events } = await billingLoop();
    const agent = createAgent({ model: createAgentModel(), tools: TOOLS, middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", retriever: RETRIEVER })] });
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    // The run does not wait for its credit; the loop does.
    await loop.idle();
    expect(await loop.ledger.countOutcomes({})).toEqual({ successes: 0, failures: 1, unknown: 0 });
    await mergeLessons(loop, [centsLesson()]);
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    await loop.idle();
    expect(await loop.ledger.countOutcomes({ served: "cents" })).toEqual({ successes: 1, failures: 0, unknown: 0 });
    expect(events.filter((event) => event.type === "episode_learned")).toEqual([]);
  });

  it("with learning off, the run returns before its outcome is credited; idle() and close() wait for it, and a failed credit is a warning", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let failNext = false;
    const ledger = new (class extends InMemoryOutcomeLedger {
      override async record(outcome: Parameters<InMemoryOutcomeLedger["record"]>[0]): Promise<void> {
        await gate;
        if (failNext) throw new Error("ledger down");
        return super.record(outcome);
      }
    })();
    const { loop, events } = await billingLoop({ ledger });
    const agent = createAgent({ model: createAgentModel(), tools: TOOLS, middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", retriever: RETRIEVER })] });
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    let idle = false;
    const waiting = loop.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(await ledger.countOutcomes({})).toEqual({ successes: 0, failures: 1, unknown: 0 });

    failNext = true;
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    await loop.close();
    expect(events).toContainEqual(expect.objectContaining({ type: "warning", source: "crediting", warning: expect.objectContaining({ message: "ledger down" }) }));
    expect(await ledger.countOutcomes({})).toEqual({ successes: 0, failures: 1, unknown: 0 });
  });

  it("without a system prompt the lessons are the one system message", async () => {
    const { loop } = await billingLoop();
    await mergeLessons(loop, [centsLesson()]);
    const model = createAgentModel();
    const agent = createAgent({ model, tools: TOOLS, middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", retriever: RETRIEVER })] });
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    for (const call of model.calls) {
      const systems = systemTexts(call.messages);
      expect(systems).toHaveLength(1);
      expect(systems[0]).toMatch(/^Lessons learned from past runs/);
    }
  });

  it("serves a lesson anchored to a tool of the request whatever the task's words, and credits the run's outcome to it", async () => {
    const { loop } = await billingLoop();
    // No word in common with the task: text retrieval alone scores it below minRelevance.
    const anchored = lessonFixture("anchored", { trigger: "when billing endpoint rejects payload", guidance: "check ledger columns twice", scope: SCOPE, tools: ["create_invoice"] });
    const elsewhere = lessonFixture("elsewhere", { trigger: "when shipping labels misprint", guidance: "reprint them", scope: SCOPE, tools: ["print_label"] });
    await mergeLessons(loop, [anchored, elsewhere]);
    const [hit] = await loop.memory.search({ query: INVOICE_TASK, scope: SCOPE, k: 1 });
    expect(hit?.score ?? 0).toBeLessThan(0.1);
    const episodes: Episode[] = [];
    const model = createAgentModel();
    const agent = createAgent({
      model,
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", retriever: RETRIEVER, onEpisode: (episode) => episodes.push(episode) })],
    });
    await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(model.calls.length).toBeGreaterThan(0);
    for (const call of model.calls) {
      const [system] = systemTexts(call.messages);
      expect(system).toContain("check ledger columns twice");
      expect(system).not.toContain("reprint them");
    }
    expect(episodes.map((episode) => episode.servedLessons)).toEqual([["anchored"]]);
  });

  it("streams the same chunks as the agent without it, apart from its own hook nodes and private key", async () => {
    const { loop } = await billingLoop();
    await mergeLessons(loop, [centsLesson()]);
    // A model that ignores its prompt: whatever the middleware adds, it answers the same.
    const script = (call: ScriptedCall) =>
      call.messages.at(-1)?.getType() === "tool" ? "Invoice sent." : { toolCalls: [{ name: "create_invoice", args: { customer: "ACME", amount_cents: 1250 }, id: "call_1" }] };
    const plainModel = new ScriptedChatModel({ responses: script });
    const learningModel = new ScriptedChatModel({ responses: script });
    const plainAgent = createAgent({ model: plainModel, tools: TOOLS, systemPrompt: SYSTEM_PROMPT, checkpointer: new MemorySaver() });
    const learningAgent = createAgent({
      model: learningModel,
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      checkpointer: new MemorySaver(),
      middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", retriever: RETRIEVER })],
    });

    type Chunk = [string, unknown];
    async function collect(agent: typeof plainAgent | typeof learningAgent) {
      const own: Chunk[] = [];
      const ours: string[] = [];
      // The state after one of the middleware's own steps is that step's chunk too.
      let afterOurStep = false;
      const stream = await agent.stream({ messages: [new HumanMessage(INVOICE_TASK)] }, { ...thread("s"), streamMode: ["messages", "updates", "values"] });
      for await (const [mode, payload] of stream as AsyncIterable<[string, unknown]>) {
        if (mode === "messages") {
          const [message, metadata] = payload as [BaseMessage, { langgraph_node: string }];
          own.push([mode, [metadata.langgraph_node, message.getType(), message.text, (message as AIMessage).tool_calls?.map((call) => call.name) ?? []]]);
        } else if (mode === "updates") {
          const nodes = Object.keys(payload as object);
          afterOurStep = nodes.every((node) => node.startsWith("lessonloop."));
          if (afterOurStep) ours.push(...nodes);
          else own.push([mode, normalize(payload)]);
        } else if (afterOurStep) {
          afterOurStep = false;
          ours.push("values");
        } else {
          const { [LESSONLOOP_RUN_KEY]: _run, ...values } = payload as Record<string, unknown>;
          own.push([mode, normalize(values)]);
        }
      }
      return { own, ours };
    }
    const without = await collect(plainAgent);
    const withIt = await collect(learningAgent);
    expect(withIt.own).toEqual(without.own);
    expect(withIt.own.some(([mode]) => mode === "messages")).toBe(true);
    expect(withIt.ours).toEqual(["lessonloop.before_agent", "values", "lessonloop.after_agent", "values"]);
    // The requests differ by the lessons, and only by them.
    const requestsWithout = plainModel.calls.map((call) => call.messages.map(text));
    const requestsWith = learningModel.calls.map((call) => call.messages.map(text));
    expect(requestsWith).toHaveLength(requestsWithout.length);
    requestsWith.forEach((messages, index) => {
      const expected = requestsWithout[index] as string[];
      expect(messages.slice(1)).toEqual(expected.slice(1));
      expect(messages[0]?.startsWith(`${expected[0] as string}\n\n`)).toBe(true);
      expect(messages[0]).toContain(RIGHT_LESSON.guidance);
    });
  });

  it("serves two concurrent runs with different scopes only their own lessons, the scope read from the run's context", async () => {
    const { loop } = await billingLoop();
    const acme: Scope = { tenant: "acme", agent: "billing" };
    const globex: Scope = { tenant: "globex", agent: "billing" };
    await mergeLessons(loop, [
      lessonFixture("acme-cents", { trigger: "creating an invoice", guidance: "ACME-ONLY: send amount_cents for every invoice.", scope: acme }),
      lessonFixture("globex-cents", { trigger: "creating an invoice", guidance: "GLOBEX-ONLY: send amount_cents for every invoice.", scope: globex }),
    ]);
    const model = new ScriptedChatModel({ latencyMs: 20, responses: ({ messages }) => `seen: ${systemTexts(messages).join(" | ")}` });
    const episodes: Episode[] = [];
    const agent = createAgent({
      model,
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      contextSchema: z.object({ tenantId: z.string() }),
      checkpointer: new MemorySaver(),
      middleware: [
        lessonloopMiddleware<{ tenantId: string }>(loop, {
          scope: (context) => ({ tenant: context.tenantId, agent: "billing" }),
          learning: "off",
          onEpisode: (episode) => episodes.push(episode),
          retriever: RETRIEVER,
        }),
      ],
    });
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, index) => {
        const tenantId = index % 2 === 0 ? "acme" : "globex";
        return agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }, { ...thread(`c-${index}`), context: { tenantId } }).then((result) => ({ tenantId, result }));
      }),
    );
    for (const { tenantId, result } of runs) {
      const answer = result.messages.at(-1)?.text ?? "";
      const own = tenantId === "acme" ? "ACME-ONLY" : "GLOBEX-ONLY";
      const other = tenantId === "acme" ? "GLOBEX-ONLY" : "ACME-ONLY";
      expect(answer).toContain(own);
      expect(answer).not.toContain(other);
    }
    expect(episodes.map((episode) => episode.scope.tenant).sort()).toEqual(["acme", "acme", "acme", "globex", "globex", "globex"]);
    for (const episode of episodes) {
      expect(episode.servedLessons).toEqual([episode.scope.tenant === "acme" ? "acme-cents" : "globex-cents"]);
    }
  });

  it("records a run interrupted by humanInTheLoopMiddleware once, when it ends, against the version it was pinned to", async () => {
    const { loop } = await billingLoop();
    await mergeLessons(loop, [centsLesson()]);
    const pinned = await loop.memory.headVersion();
    const model = createAgentModel();
    const episodes: Episode[] = [];
    const agent = createAgent({
      model,
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      checkpointer: new MemorySaver(),
      middleware: [
        lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", onEpisode: (episode) => episodes.push(episode), retriever: RETRIEVER }),
        humanInTheLoopMiddleware({ interruptOn: { create_invoice: true } }),
      ],
    });
    const paused = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }, thread("hitl"));
    expect(paused.__interrupt__).toHaveLength(1);
    expect(episodes).toHaveLength(0);

    // Memory moves on while the human decides: the run stays on its pinned version.
    await mergeLessons(loop, [lessonFixture("later", { trigger: "creating an invoice for ACME", guidance: "LATER-LESSON: add a note.", scope: SCOPE })]);
    const done = await agent.invoke(new Command({ resume: { decisions: [{ type: "approve" }] } }), thread("hitl"));
    expect(done.messages.at(-1)?.text).toBe("Done: Invoice INV-7 for ACME: 1250 cents.");
    expect(episodes).toHaveLength(1);
    const [episode] = episodes as [Episode];
    expect(episode.memoryVersion).toBe(pinned);
    expect(episode.servedLessons).toEqual(["cents"]);
    expect(episode.trajectory.map((step) => step.type)).toEqual(["message", "tool_call", "tool_result", "message"]);
    for (const call of model.calls) {
      expect(systemTexts(call.messages)).toHaveLength(1);
      expect(systemTexts(call.messages)[0]).not.toContain("LATER-LESSON");
    }
  });

  it("works with summarizationMiddleware and humanInTheLoopMiddleware in one agent", async () => {
    const { loop } = await billingLoop();
    await mergeLessons(loop, [centsLesson()]);
    const model = createAgentModel();
    const summarizer = new ScriptedChatModel({ responses: "Summary: the user asked for invoices earlier." });
    const episodes: Episode[] = [];
    const agent = createAgent({
      model,
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      checkpointer: new MemorySaver(),
      middleware: [
        summarizationMiddleware({ model: summarizer, trigger: { messages: 6 }, keep: { messages: 2 } }),
        lessonloopMiddleware(loop, { scope: SCOPE, learning: "off", onEpisode: (episode) => episodes.push(episode), retriever: RETRIEVER }),
        humanInTheLoopMiddleware({ interruptOn: { create_invoice: true } }),
      ],
    });
    const approve = new Command({ resume: { decisions: [{ type: "approve" }] } });
    for (const task of [INVOICE_TASK, "Create an invoice for INITECH of 3.00 EUR"]) {
      const paused = await agent.invoke({ messages: [new HumanMessage(task)] }, thread("both"));
      expect(paused.__interrupt__).toHaveLength(1);
      await agent.invoke(approve, thread("both"));
    }
    expect(summarizer.calls.length).toBeGreaterThan(0);
    expect(episodes.map((episode) => episode.input)).toEqual([INVOICE_TASK, "Create an invoice for INITECH of 3.00 EUR"]);
    for (const call of model.calls) {
      const systems = systemTexts(call.messages);
      expect(systems).toHaveLength(1);
      expect(systems[0]).toContain(RIGHT_LESSON.guidance);
    }
    // The summary is the conversation's, not the lessons'.
    const summarized = summarizer.calls.map((call) => call.messages.map(text).join("\n")).join("\n");
    expect(summarized).not.toContain(RIGHT_LESSON.guidance);
    const { values } = await agent.graph.getState(thread("both"));
    const messages = (values as { messages: BaseMessage[] }).messages;
    expect(messages.some((message) => text(message).includes(RIGHT_LESSON.guidance))).toBe(false);
    expect(messages.at(-1)?.text).toBe("Done: Invoice INV-7 for INITECH: 300 cents.");
  });

  it("never fails the run when learning fails, memory is down or the queue is closed", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { loop, events } = await billingLoop();
    // Learning that throws (the loop reports it as a `learning_failed` event): the run still answers.
    const learn = vi.spyOn(loop, "learn").mockRejectedValue(new Error("the learning graph failed"));
    const agent = createAgent({
      model: createAgentModel(),
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "sync", retriever: RETRIEVER })],
    });
    const result = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(result.messages.at(-1)?.text).toMatch(/^I could not do it/);
    expect(learn).toHaveBeenCalledTimes(1);

    // Memory unreachable: no lessons, a warning, and the run goes on.
    const down = patchMemory(loop.memory, {
      headVersion: () => Promise.reject(new Error("connection refused")),
      search: () => Promise.reject(new Error("connection refused")),
    });
    const episodes: Episode[] = [];
    const warnings: string[] = [];
    const offlineLoop = await createLearningLoop({
      ...invoiceLoopParams(),
      memory: down,
      edgeCaseStore: loop.edgeCaseStore,
      onEvent: (event) => {
        if (event.type === "warning" && event.source === "middleware") warnings.push(event.warning.effect);
      },
    });
    loops.push(offlineLoop);
    const offline = createAgent({
      model: createAgentModel(),
      tools: TOOLS,
      middleware: [
        lessonloopMiddleware(offlineLoop, { scope: SCOPE, learning: "off", onEpisode: (episode) => episodes.push(episode) }),
      ],
    });
    const offlineResult = await offline.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(offlineResult.messages.at(-1)?.text).toMatch(/^I could not do it/);
    expect(warnings).toEqual(["served no lessons"]);
    expect(episodes.map((episode) => episode.memoryVersion)).toEqual([0]);

    // Background learning on a loop that was shut down: the episode cannot be queued, the run still answers.
    await loop.shutdown({ timeoutMs: 1_000 });
    const queued = createAgent({ model: createAgentModel(), tools: TOOLS, middleware: [lessonloopMiddleware(loop, { scope: SCOPE, retriever: RETRIEVER })] });
    const queuedResult = await queued.invoke({ messages: [new HumanMessage(INVOICE_TASK)] });
    expect(queuedResult.messages.at(-1)?.text).toMatch(/^I could not do it/);
    expect(events).toContainEqual(expect.objectContaining({ type: "warning", source: "queue", warning: expect.objectContaining({ episodeId: expect.any(String) }) }));
  });
});

describe("lessonloopMiddleware over the OpenAI protocol", () => {
  it("ChatOpenAI gets the lesson in the one system message after the merge, and never before", async () => {
    const { loop } = await billingLoop();
    const requestText = (message: ChatCompletionMessage) => (typeof message.content === "string" ? message.content : (message.content ?? []).map((part) => part.text ?? "").join(""));
    const server = await startOpenAiProtocolServer({
      respond: ({ messages }) => {
        const last = messages.at(-1);
        if (last?.role === "tool") return /^Error/.test(requestText(last)) ? `I could not do it: ${requestText(last)}` : `Done: ${requestText(last)}.`;
        const system = messages.filter((message) => message.role === "system").map(requestText).join("\n");
        const task = [...messages].reverse().find((message) => message.role === "user");
        const decision = decide(task === undefined ? "" : requestText(task), system);
        return "answer" in decision ? decision.answer : { toolCalls: [{ name: decision.name, arguments: decision.args }] };
      },
    });
    closers.push(() => server.close());
    const model = new ChatOpenAI({ model: "gpt-test", apiKey: "test-key", configuration: { baseURL: server.baseURL }, maxRetries: 0 });
    const agent = createAgent({
      model,
      tools: TOOLS,
      systemPrompt: SYSTEM_PROMPT,
      checkpointer: new MemorySaver(),
      middleware: [lessonloopMiddleware(loop, { scope: SCOPE, learning: "sync", retriever: RETRIEVER })],
    });

    const first = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }, thread("o1"));
    expect(first.messages.some((message) => ToolMessage.isInstance(message) && message.status === "error")).toBe(true);
    const before = server.requests.length;
    expect(before).toBe(2);
    for (const request of server.requests) {
      const systems = request.messages.filter((message) => message.role === "system");
      expect(systems.map(requestText)).toEqual([SYSTEM_PROMPT]);
    }

    const second = await agent.invoke({ messages: [new HumanMessage(INVOICE_TASK)] }, thread("o2"));
    expect(second.messages.at(-1)?.text).toBe("Done: Invoice INV-7 for ACME: 1250 cents.");
    const after = server.requests.slice(before);
    expect(after).toHaveLength(2);
    for (const request of after) {
      const systems = request.messages.filter((message) => message.role === "system");
      expect(systems).toHaveLength(1);
      expect(request.messages[0]?.role).toBe("system");
      expect(requestText(systems[0] as ChatCompletionMessage)).toMatch(new RegExp(`^${SYSTEM_PROMPT}\\n\\n[\\s\\S]*${RIGHT_LESSON.guidance.slice(0, 40)}`));
    }
  });
});

/** A stream payload as a user sees it: messages as their type, text and tool calls. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    if ("getType" in value && typeof value.getType === "function") {
      const message = value as BaseMessage;
      const calls = AIMessage.isInstance(message) ? message.tool_calls?.map(({ name, args }) => ({ name, args })) : undefined;
      return { type: message.getType(), text: message.text, ...(calls === undefined || calls.length === 0 ? {} : { calls }) };
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  }
  return value;
}
