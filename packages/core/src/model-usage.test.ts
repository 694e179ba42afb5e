import { describe, expect, it } from "vitest";
import { z } from "zod";
import { addModelUsage, createModelUsageMeter, totalTokens } from "./model-usage.js";
import { ScriptedChatModel } from "./testing/index.js";

describe("createModelUsageMeter", () => {
  it("counts every chat model call under a run and the tokens each reported, structured output included", async () => {
    const model = new ScriptedChatModel({
      responses: [
        { content: "hello", usage: { input: 12, output: 3 } },
        { structured: { ok: true }, usage: { input: 20, output: 5 } },
      ],
    });
    const meter = createModelUsageMeter();
    await model.invoke("hi", { callbacks: [meter.handler] });
    await model.withStructuredOutput(z.object({ ok: z.boolean() }), { name: "answer" }).invoke("check", { callbacks: [meter.handler] });
    expect(meter.usage()).toEqual({ calls: 2, promptTokens: 32, completionTokens: 8 });
    // A call made without the handler is not counted.
    await new ScriptedChatModel({ responses: ["x"] }).invoke("unseen");
    expect(meter.usage().calls).toBe(2);
  });

  it("adds usages and totals their tokens", () => {
    const sum = addModelUsage({ calls: 1, promptTokens: 2, completionTokens: 3 }, { calls: 4, promptTokens: 5, completionTokens: 6 });
    expect(sum).toEqual({ calls: 5, promptTokens: 7, completionTokens: 9 });
    expect(totalTokens(sum)).toBe(16);
  });
});
