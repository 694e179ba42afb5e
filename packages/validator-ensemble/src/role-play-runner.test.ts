import { EdgeCaseSchema, LessonSchema, LessonloopError, type EdgeCaseCheck } from "@lessonloop/core";
import { ScriptedChatModel, rejectionOf } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { DEFAULT_ROLE_PLAY_PROMPT, createRolePlayRunner } from "./role-play-runner.js";
import { DAMAGED_PARCEL, REFUND_DAMAGED, agentModel, answerCheck, edgeCase, shopAgent, textOf } from "./tests/fixtures.js";
import type { Validator } from "./validator.js";

const lesson = LessonSchema.parse(REFUND_DAMAGED);
const damaged = EdgeCaseSchema.parse(DAMAGED_PARCEL);
const caseWith = (check: EdgeCaseCheck) => EdgeCaseSchema.parse(edgeCase("case-1", "A customer says hello", check));
const signal = () => new AbortController().signal;

describe("createRolePlayRunner", () => {
  it("asks the validator's model for the agent's decision with and without the lesson, and applies a tool_call check in code", async () => {
    const model = agentModel(shopAgent());
    const validator: Validator = { id: "peer-1", model };
    const runner = createRolePlayRunner({ tools: [{ name: "issue_refund", description: "Refund an order" }], agentDescription: "A shop's support agent" });

    const without = await runner.replay({ edgeCase: damaged, lesson: undefined, validator, signal: signal() });
    const withLesson = await runner.replay({ edgeCase: damaged, lesson, validator, signal: signal() });

    expect(without).toEqual({ passed: false, output: { type: "answer", answer: "Please send us a photo and contact our support team." }, usage: expect.objectContaining({ calls: 1 }) });
    expect(withLesson).toEqual({ passed: true, output: { type: "tool_call", name: "issue_refund", args: { orderId: "42" } }, usage: expect.objectContaining({ calls: 1 }) });

    const [first, second] = model.calls;
    expect(first?.messages[0]?.content).toContain(DEFAULT_ROLE_PLAY_PROMPT);
    expect(first?.messages[0]?.content).toContain("- issue_refund: Refund an order");
    expect(first?.messages[0]?.content).toContain("The agent: A shop's support agent");
    expect(textOf(first?.messages ?? [])).not.toContain(lesson.guidance);
    expect(first?.messages[1]?.content).toContain(damaged.input);
    expect(second?.messages[0]?.content).toContain(`- Applies when: ${lesson.trigger}\n- What to do: ${lesson.guidance}`);
    expect(first?.options.tool_choice).toBe("agent_decision");
  });

  it("uses the validator's own prompt instead of the default, and the runner's model when the validator has none", async () => {
    const model = agentModel(() => ({ type: "answer", answer: "ok" }));
    const runner = createRolePlayRunner({ model });
    const outcome = await runner.replay({
      edgeCase: caseWith(answerCheck(["ok"])),
      lesson: undefined,
      validator: { id: "strict-peer", prompt: "Play the agent as a strict auditor would." },
      signal: signal(),
    });
    expect(outcome.passed).toBe(true);
    expect(model.calls[0]?.messages[0]?.content).toMatch(/^Play the agent as a strict auditor would\./);
    expect(model.calls[0]?.messages[0]?.content).not.toContain(DEFAULT_ROLE_PLAY_PROMPT);
  });

  it("has a rubric judged by the model, which never sees the lesson", async () => {
    const model = new ScriptedChatModel({
      responses: [
        { structured: { action: "answer", answer: "Dear customer, we are sorry." }, usage: { input: 40, output: 9 } },
        { structured: { passed: true, reason: "polite and apologetic" }, usage: { input: 55, output: 7 } },
      ],
    });
    const runner = createRolePlayRunner();
    const outcome = await runner.replay({
      edgeCase: caseWith({ type: "rubric", rubric: "The answer is polite." }),
      lesson,
      validator: { id: "peer", model },
      signal: signal(),
    });
    expect(outcome).toEqual({
      passed: true,
      output: { type: "answer", answer: "Dear customer, we are sorry." },
      note: "judge: polite and apologetic",
      // The decision and the judgement, with the tokens each reported.
      usage: { calls: 2, promptTokens: 95, completionTokens: 16 },
    });
    const judgeCall = model.calls[1];
    expect(judgeCall?.options.tool_choice).toBe("rubric_judgement");
    expect(textOf(judgeCall?.messages ?? [])).toContain("Rubric:\nThe answer is polite.");
    expect(textOf(judgeCall?.messages ?? [])).not.toContain(lesson.guidance);
  });

  it("cannot check the environment: passed null, and no model is called", async () => {
    const model = new ScriptedChatModel({ responses: [] });
    const outcome = await createRolePlayRunner().replay({
      edgeCase: caseWith({ type: "environment", predicate: "order-refunded", params: {} }),
      lesson,
      validator: { id: "peer", model },
      signal: signal(),
    });
    expect(outcome.passed).toBeNull();
    expect(outcome.note).toContain('environment check "order-refunded" needs a runner that re-executes the agent');
    expect(model.callCount).toBe(0);
  });

  it("turns malformed model output into a typed model_output_invalid error", async () => {
    const runner = createRolePlayRunner();
    const check = answerCheck(["ok"]);
    for (const answer of [{ structured: { action: "dance" } }, { structured: { action: "answer" } }, { structured: { action: "tool_call", tool: " " } }, "not json at all"]) {
      const model = new ScriptedChatModel({ responses: [answer] });
      const error = await rejectionOf(runner.replay({ edgeCase: caseWith(check), lesson, validator: { id: "peer", model }, signal: signal() }));
      expect(LessonloopError.isInstance(error, "model_output_invalid"), JSON.stringify(answer)).toBe(true);
    }
    const judge = new ScriptedChatModel({ responses: [{ structured: { action: "answer", answer: "hi" } }, { structured: { verdict: "maybe" } }] });
    const judgeError = await rejectionOf(
      runner.replay({ edgeCase: caseWith({ type: "rubric", rubric: "polite" }), lesson, validator: { id: "peer", model: judge }, signal: signal() }),
    );
    expect(LessonloopError.isInstance(judgeError, "model_output_invalid")).toBe(true);
  });

  it("turns a provider error into a typed error that keeps it as cause, and needs a model from somewhere", async () => {
    const outage = new Error("503 from provider");
    const runner = createRolePlayRunner();
    const model = new ScriptedChatModel({ responses: [outage] });
    const failed = await rejectionOf(runner.replay({ edgeCase: damaged, lesson, validator: { id: "peer", model }, signal: signal() }));
    expect(LessonloopError.isInstance(failed, "model_output_invalid")).toBe(true);
    expect((failed as Error).message).toContain("503 from provider");
    expect((failed as Error).cause).toBe(outage);
    const noModel = await rejectionOf(runner.replay({ edgeCase: damaged, lesson, validator: { id: "peer" }, signal: signal() }));
    expect(LessonloopError.isInstance(noModel, "invalid_input")).toBe(true);
    expect((noModel as Error).message).toContain('Validator "peer" has no model');
  });

  it("passes the abort signal to the model: an aborted replay stops at once", async () => {
    const model = agentModel(shopAgent(), { latencyMs: 60_000 });
    const controller = new AbortController();
    const startedAt = Date.now();
    const pending = createRolePlayRunner().replay({ edgeCase: damaged, lesson, validator: { id: "peer", model }, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("cut off")), 20);
    await expect(pending).rejects.toThrow("cut off");
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(model.calls[0]?.options.signal?.aborted).toBe(true);
  });
});
