import { type EdgeCaseCheck } from "@lessonloop/core";
import { EdgeCaseCheckSchema } from "@lessonloop/core/internal";
import { describe, expect, it } from "vitest";
import { describeDecision, evaluateCheck, type AgentDecision } from "./agent-decision.js";

const check = (value: unknown): EdgeCaseCheck => EdgeCaseCheckSchema.parse(value);
const answer = (text: string): AgentDecision => ({ type: "answer", answer: text });
const call = (name: string, args: Record<string, unknown>): AgentDecision => ({ type: "tool_call", name, args });

describe("evaluateCheck", () => {
  it("answer: every mustContain, no mustNotContain, case-insensitive; a tool call fails it", () => {
    const refundWindow = check({ type: "answer", mustContain: ["30-day", "Window"], mustNotContain: ["refunded"] });
    expect(evaluateCheck(refundWindow, answer("Past our 30-DAY window."))).toBe(true);
    expect(evaluateCheck(refundWindow, answer("Past our 30-day limit."))).toBe(false);
    expect(evaluateCheck(refundWindow, answer("30-day window passed, but I REFUNDED it."))).toBe(false);
    expect(evaluateCheck(refundWindow, call("issue_refund", {}))).toBe(false);
  });

  it("tool_call: same tool, arguments as a subset (nested objects by subset, arrays exactly)", () => {
    const refund = check({ type: "tool_call", name: "issue_refund", args: { orderId: "42", items: [1, 2], meta: { reason: "damaged" } } });
    expect(evaluateCheck(refund, call("issue_refund", { orderId: "42", items: [1, 2], meta: { reason: "damaged", by: "ana" }, extra: true }))).toBe(true);
    expect(evaluateCheck(refund, call("issue_refund", { orderId: 42, items: [1, 2], meta: { reason: "damaged" } }))).toBe(false);
    expect(evaluateCheck(refund, call("issue_refund", { orderId: "42", items: [1, 2, 3], meta: { reason: "damaged" } }))).toBe(false);
    expect(evaluateCheck(refund, call("issue_refund", { orderId: "42", items: [1, 2] }))).toBe(false);
    expect(evaluateCheck(refund, call("cancel_order", { orderId: "42", items: [1, 2], meta: { reason: "damaged" } }))).toBe(false);
    expect(evaluateCheck(refund, answer("I issued a refund"))).toBe(false);
    expect(evaluateCheck(check({ type: "tool_call", name: "ping" }), call("ping", { any: 1 }))).toBe(true);
  });

  it("cannot decide a rubric or an environment check in code", () => {
    expect(evaluateCheck(check({ type: "rubric", rubric: "polite" }), answer("hi"))).toBeNull();
    expect(evaluateCheck(check({ type: "environment", predicate: "order-refunded" }), call("issue_refund", {}))).toBeNull();
  });
});

describe("describeDecision", () => {
  it("renders a decision on one short line", () => {
    expect(describeDecision(call("issue_refund", { orderId: "42" }))).toBe('tool_call issue_refund {"orderId":"42"}');
    expect(describeDecision(answer("x".repeat(500)), 20)).toHaveLength(20);
  });
});
