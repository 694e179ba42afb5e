import { HumanMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ScriptedChatModel, type ScriptedAnswer } from "../testing/scripted-chat-model.js";
import { callStructured } from "./structured-call.js";

const AnswerSchema = z.object({ verdict: z.enum(["yes", "no"]), reason: z.string().min(1) });

function ask(responses: ScriptedAnswer[], params: { attempts?: number; refine?: (value: z.output<typeof AnswerSchema>) => string | undefined } = {}) {
  const model = new ScriptedChatModel({ responses, name: "judge" });
  const result = callStructured({ model, schema: AnswerSchema, name: "answer", messages: [new HumanMessage("Is it?")], ...params });
  return { model, result };
}

describe("callStructured", () => {
  it("returns the parsed answer of the first call that fits", async () => {
    const { model, result } = ask([{ structured: { verdict: "yes", reason: "it is" } }]);
    expect(await result).toEqual({ ok: true, value: { verdict: "yes", reason: "it is" }, attempts: 1 });
    expect(model.calls).toHaveLength(1);
  });

  it("retries a malformed answer once by default, then says what was wrong", async () => {
    const { model, result } = ask([{ structured: { verdict: "maybe", reason: "?" } }, { structured: { verdict: "no", reason: "" } }]);
    const answer = await result;
    expect(answer).toMatchObject({ ok: false, reason: "malformed", attempts: 2 });
    expect(answer.ok ? "" : answer.message).toContain("reason");
    expect(model.calls).toHaveLength(2);
  });

  it("retries a failed call and keeps the error as the cause", async () => {
    const failure = new Error("provider down");
    const { result } = ask([failure, { structured: { verdict: "no", reason: "checked" } }]);
    expect(await result).toEqual({ ok: true, value: { verdict: "no", reason: "checked" }, attempts: 2 });

    const { result: twice } = ask([failure, failure]);
    expect(await twice).toMatchObject({ ok: false, reason: "failed", message: "provider down", attempts: 2, cause: failure });
  });

  it("treats an answer its refine rejects as malformed", async () => {
    const { result } = ask([{ structured: { verdict: "yes", reason: "because" } }], { attempts: 1, refine: (value) => (value.verdict === "yes" ? "yes needs evidence" : undefined) });
    expect(await result).toEqual({ ok: false, reason: "malformed", message: "yes needs evidence", attempts: 1 });
  });
});
