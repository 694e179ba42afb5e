import type { LLMResult } from "@langchain/core/outputs";
import { AIMessageChunk, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ScriptedChatModel } from "./scripted-chat-model.js";

const VerdictSchema = z.object({
  verdict: z.enum(["pass", "fail"]),
  reason: z.string(),
  confidence: z.number().min(0).max(1).default(0.5),
});

function createWeatherTool(forecasts: Record<string, string>) {
  const requestedCities: string[] = [];
  const weather = tool(
    async ({ city }) => {
      requestedCities.push(city);
      return forecasts[city] ?? `No forecast for ${city}.`;
    },
    {
      name: "get_weather",
      description: "Today's weather in a city.",
      schema: z.object({ city: z.string().describe("City name") }),
    },
  );
  return { weather, requestedCities };
}

describe("ScriptedChatModel answers", () => {
  it("answers a list in order and records what each call was asked", async () => {
    const model = new ScriptedChatModel({ responses: ["first", "second"] });

    const first = await model.invoke([new SystemMessage("be brief"), new HumanMessage("hello")]);
    const second = await model.invoke("again", { tool_choice: "auto" });

    expect(first).toBeInstanceOf(AIMessageChunk);
    expect(first.content).toBe("first");
    expect(second.content).toBe("second");
    expect(model.callCount).toBe(2);
    expect(model.calls[0]?.messages.map((message) => [message.type, message.content])).toEqual([
      ["system", "be brief"],
      ["human", "hello"],
    ]);
    expect(model.calls[0]?.tools).toEqual([]);
    expect(model.calls[1]?.messages.map((message) => message.content)).toEqual(["again"]);
    expect(model.calls[1]?.options.tool_choice).toBe("auto");
  });

  it("throws a clear error when the list runs out, and still records the call", async () => {
    const model = new ScriptedChatModel({ responses: ["only one", { content: "two" }] });
    await model.invoke("a");
    await model.invoke("b");

    await expect(model.invoke("what now?")).rejects.toThrow(
      'got call 3, but only 2 responses were scripted. Add responses to `responses`, or pass a function to answer any number of calls. Last message of the call: "what now?"',
    );
    expect(model.callCount).toBe(3);
  });

  it("gives a single answer to every call", async () => {
    const model = new ScriptedChatModel({ responses: "always this" });
    const answers = await Promise.all([model.invoke("a"), model.invoke("b"), model.invoke("c")]);
    expect(answers.map((answer) => answer.content)).toEqual(["always this", "always this", "always this"]);
  });

  it("asks a responder function, passing the messages and the call index", async () => {
    const model = new ScriptedChatModel({
      responses: async ({ messages, index }) => `#${index}: ${String(messages.at(-1)?.content).toUpperCase()}`,
    });
    expect((await model.invoke("hi")).content).toBe("#0: HI");
    expect((await model.invoke("there")).content).toBe("#1: THERE");
  });

  it("throws a scripted Error, so tests can simulate a failing model", async () => {
    const outage = new Error("provider is down (503)");
    const model = new ScriptedChatModel({ responses: [outage, "recovered"] });

    await expect(model.invoke("try")).rejects.toBe(outage);
    expect((await model.invoke("retry")).content).toBe("recovered");
    expect(model.callCount).toBe(2);
  });

  it("reports its name and type", async () => {
    const model = new ScriptedChatModel({ responses: "ok", name: "judge-model" });
    const answer = await model.invoke("x");
    expect(model._llmType()).toBe("scripted");
    expect(answer.response_metadata["model_name"]).toBe("judge-model");
  });

  it("waits latencyMs and gives up as soon as the signal aborts", async () => {
    const model = new ScriptedChatModel({ responses: "late", latencyMs: 60_000 });
    const controller = new AbortController();
    const startedAt = Date.now();
    const pending = model.invoke("x", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("caller gave up")), 20);

    await expect(pending).rejects.toThrow("caller gave up");
    expect(Date.now() - startedAt).toBeLessThan(5_000);

    const quick = new ScriptedChatModel({ responses: "on time", latencyMs: 30 });
    const quickStart = Date.now();
    expect((await quick.invoke("x")).content).toBe("on time");
    expect(Date.now() - quickStart).toBeGreaterThanOrEqual(25);
  });
});

describe("ScriptedChatModel tool calls", () => {
  it("emits tool calls with deterministic ids and records the bound tools", async () => {
    const { weather } = createWeatherTool({});
    const model = new ScriptedChatModel({
      responses: {
        content: "Checking both.",
        toolCalls: [
          { name: "get_weather", args: { city: "Paris" } },
          { name: "get_weather", args: { city: "Oslo" }, id: "my-id" },
          { name: "get_weather", args: { city: "Rome" } },
        ],
      },
    });

    const answer = await model.bindTools([weather]).invoke("weather?");

    expect(answer).toBeInstanceOf(AIMessageChunk);
    expect(answer.content).toBe("Checking both.");
    expect(answer.tool_calls).toEqual([
      { type: "tool_call", name: "get_weather", args: { city: "Paris" }, id: "call_1" },
      { type: "tool_call", name: "get_weather", args: { city: "Oslo" }, id: "my-id" },
      { type: "tool_call", name: "get_weather", args: { city: "Rome" }, id: "call_3" },
    ]);
    expect(model.calls[0]?.tools).toEqual([
      {
        name: "get_weather",
        description: "Today's weather in a city.",
        schema: expect.objectContaining({
          type: "object",
          properties: { city: expect.objectContaining({ type: "string", description: "City name" }) },
          required: ["city"],
        }),
      },
    ]);
  });

  it("runs tools through createReactAgent over two turns of one conversation", async () => {
    const { weather, requestedCities } = createWeatherTool({ Paris: "Sunny, 24°C", Oslo: "Snow, -3°C" });
    const model = new ScriptedChatModel({
      responses: [
        { toolCalls: [{ name: "get_weather", args: { city: "Paris" } }] },
        "It is sunny in Paris.",
        { toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }] },
        "Oslo has snow.",
      ],
    });
    const agent = createReactAgent({ llm: model, tools: [weather], checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: "weather-chat" } };

    const firstTurn = await agent.invoke({ messages: [new HumanMessage("Weather in Paris?")] }, thread);
    const secondTurn = await agent.invoke({ messages: [new HumanMessage("And in Oslo?")] }, thread);

    expect(requestedCities).toEqual(["Paris", "Oslo"]);
    expect(firstTurn.messages.at(-1)?.content).toBe("It is sunny in Paris.");
    expect(secondTurn.messages.at(-1)?.content).toBe("Oslo has snow.");
    expect(model.callCount).toBe(4);
    expect(model.calls.every((call) => call.tools.map((bound) => bound.name).join() === "get_weather")).toBe(true);

    // The tool's result came back to the model, answering the call it made.
    const toolResult = model.calls[1]?.messages.at(-1);
    expect(toolResult).toBeInstanceOf(ToolMessage);
    expect(toolResult?.content).toBe("Sunny, 24°C");
    expect((toolResult as ToolMessage).tool_call_id).toBe("call_1");

    // The second turn sees the whole first turn through the checkpointer.
    expect(model.calls[2]?.messages.map((message) => message.type)).toEqual(["human", "ai", "tool", "ai", "human"]);
    expect((model.calls[3]?.messages.at(-1) as ToolMessage).tool_call_id).toBe("call_2");
  });
});

describe("ScriptedChatModel structured output", () => {
  it("turns { structured } into the forced tool call and returns the schema-parsed object", async () => {
    const model = new ScriptedChatModel({ responses: [{ structured: { verdict: "pass", reason: "cites the docs" } }] });

    const verdict = await model.withStructuredOutput(VerdictSchema).invoke("Judge this answer.");

    // `confidence` was not scripted: its default proves the schema parsed the value.
    expect(verdict).toEqual({ verdict: "pass", reason: "cites the docs", confidence: 0.5 });
    expect(model.calls[0]?.options.tool_choice).toBe("extract");
    expect(model.calls[0]?.tools.map((bound) => bound.name)).toEqual(["extract"]);
  });

  it("uses the name given to withStructuredOutput and returns raw and parsed with includeRaw", async () => {
    const model = new ScriptedChatModel({
      responses: [{ structured: { verdict: "fail", reason: "wrong unit", confidence: 0.9 }, usage: { input: 7, output: 3 } }],
    });

    const { raw, parsed } = await model
      .withStructuredOutput(VerdictSchema, { name: "record_verdict", includeRaw: true })
      .invoke("Judge this answer.");

    expect(parsed).toEqual({ verdict: "fail", reason: "wrong unit", confidence: 0.9 });
    expect(raw).toBeInstanceOf(AIMessageChunk);
    expect((raw as AIMessageChunk).tool_calls?.[0]?.name).toBe("record_verdict");
    expect((raw as AIMessageChunk).usage_metadata).toEqual({ input_tokens: 7, output_tokens: 3, total_tokens: 10 });
  });

  it("also accepts an explicit tool call or JSON text as the structured answer", async () => {
    const model = new ScriptedChatModel({
      responses: [
        { toolCalls: [{ name: "extract", args: { verdict: "pass", reason: "explicit tool call" } }] },
        '{"verdict": "fail", "reason": "JSON text"}',
      ],
    });
    const judge = model.withStructuredOutput(VerdictSchema);

    expect(await judge.invoke("one")).toEqual({ verdict: "pass", reason: "explicit tool call", confidence: 0.5 });
    expect(await judge.invoke("two")).toEqual({ verdict: "fail", reason: "JSON text", confidence: 0.5 });
  });

  it("rejects a scripted value that does not match the schema, as a real provider's parser would", async () => {
    const model = new ScriptedChatModel({ responses: { structured: { verdict: "maybe", reason: "unsure" } } });

    await expect(model.withStructuredOutput(VerdictSchema).invoke("judge")).rejects.toThrow(/Failed to parse/);
    const { parsed } = await model.withStructuredOutput(VerdictSchema, { includeRaw: true }).invoke("judge");
    expect(parsed).toBeNull();
  });

  it("answers { structured } as JSON text when no tools are bound", async () => {
    const model = new ScriptedChatModel({ responses: { structured: { verdict: "pass" } } });
    expect((await model.invoke("judge")).content).toBe('{"verdict":"pass"}');
  });

  it("refuses { structured } when tools are bound but none is forced, instead of guessing a tool", async () => {
    const { weather, requestedCities } = createWeatherTool({});
    const clock = tool(async () => "12:00", { name: "get_time", description: "The time.", schema: z.object({}) });
    const model = new ScriptedChatModel({ responses: { structured: { city: "Paris" } } });

    await expect(model.bindTools([weather, clock]).invoke("x")).rejects.toThrow(
      "tools are bound (get_weather, get_time) and tool_choice forces none of them",
    );
    const agent = createReactAgent({ llm: model, tools: [weather] });
    await expect(agent.invoke({ messages: [new HumanMessage("x")] })).rejects.toThrow(
      "tools are bound (get_weather) and tool_choice forces none of them",
    );
    expect(requestedCities).toEqual([]);
    expect(await model.bindTools([weather], { tool_choice: "any" }).invoke("x")).toMatchObject({
      tool_calls: [{ name: "get_weather", args: { city: "Paris" } }],
    });
  });

  it("serves createReactAgent's responseFormat after the agent loop", async () => {
    const { weather } = createWeatherTool({ Rome: "Clear, 28°C" });
    const model = new ScriptedChatModel({
      responses: [
        { toolCalls: [{ name: "get_weather", args: { city: "Rome" } }] },
        "Clear and warm in Rome.",
        { structured: { city: "Rome", celsius: 28 } },
      ],
    });
    const agent = createReactAgent({
      llm: model,
      tools: [weather],
      responseFormat: z.object({ city: z.string(), celsius: z.number() }),
    });

    const result = await agent.invoke({ messages: [new HumanMessage("Weather in Rome?")] });

    expect(result.structuredResponse).toEqual({ city: "Rome", celsius: 28 });
    expect(model.calls.map((call) => call.options.tool_choice)).toEqual([undefined, undefined, "extract"]);
  });
});

describe("ScriptedChatModel token usage", () => {
  it("reports scripted usage on the message and to callback handlers", async () => {
    const model = new ScriptedChatModel({ responses: { content: "done", usage: { input: 120, output: 30 } } });
    const ends: LLMResult[] = [];

    const answer = await model.invoke("go", { callbacks: [{ handleLLMEnd: (output) => void ends.push(output) }] });

    expect(answer.usage_metadata).toEqual({ input_tokens: 120, output_tokens: 30, total_tokens: 150 });
    expect(ends).toHaveLength(1);
    expect(ends[0]?.llmOutput?.["tokenUsage"]).toEqual({ promptTokens: 120, completionTokens: 30, totalTokens: 150 });
  });

  it("estimates usage at four characters a token when none is scripted", async () => {
    const model = new ScriptedChatModel({ responses: "12345" });
    const ends: LLMResult[] = [];

    // 9 prompt characters → 3 tokens; 5 answer characters → 2 tokens.
    const answer = await model.invoke("123456789", { callbacks: [{ handleLLMEnd: (output) => void ends.push(output) }] });

    expect(answer.usage_metadata).toEqual({ input_tokens: 3, output_tokens: 2, total_tokens: 5 });
    expect(ends[0]?.llmOutput?.["tokenUsage"]).toEqual({ promptTokens: 3, completionTokens: 2, totalTokens: 5 });
  });
});
