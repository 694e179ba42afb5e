import type { EdgeCaseCheck } from "@lessonloop/core";
import { z } from "zod";

/**
 * The agent's next decision on a task: a final answer, or a call of one tool.
 * It is what the role-play runner asks a model for, and what deterministic
 * edge-case checks are evaluated against.
 */
export const AgentDecisionSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("answer"),
      /** The final answer to the user. */
      answer: z.string().max(20_000),
    })
    .strict(),
  z
    .object({
      type: z.literal("tool_call"),
      /** The tool the agent calls. */
      name: z.string().min(1).max(200),
      /** Its arguments. */
      args: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
]);
export type AgentDecision = z.infer<typeof AgentDecisionSchema>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether `actual` carries everything `expected` does: objects by subset (extra
 * keys in `actual` are fine, recursively), arrays element by element with the
 * same length, everything else by `Object.is`.
 */
function matchesSubset(expected: unknown, actual: unknown): boolean {
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) return false;
    return Object.entries(expected).every(([key, value]) => Object.hasOwn(actual, key) && matchesSubset(value, actual[key]));
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((value, index) => matchesSubset(value, actual[index]))
    );
  }
  return Object.is(expected, actual);
}

/**
 * Evaluates an edge case's check against the agent's decision, in code.
 *
 * - `answer`: the decision must be an answer containing every `mustContain`
 *   string and none of the `mustNotContain` strings (case-insensitive). A tool
 *   call fails it.
 * - `tool_call`: the decision must call the tool `name` with arguments that
 *   include `args` (a subset match: nested objects by subset, arrays and
 *   scalars exactly). An answer fails it.
 * - `rubric` and `environment` cannot be decided from the decision alone: the
 *   result is `null` (a judge model decides a rubric; only a real runner can
 *   check the environment).
 */
export function evaluateCheck(check: EdgeCaseCheck, decision: AgentDecision): boolean | null {
  switch (check.type) {
    case "answer": {
      if (decision.type !== "answer") return false;
      const answer = decision.answer.toLowerCase();
      return (
        check.mustContain.every((text) => answer.includes(text.toLowerCase())) &&
        !check.mustNotContain.some((text) => answer.includes(text.toLowerCase()))
      );
    }
    case "tool_call":
      return decision.type === "tool_call" && decision.name === check.name && matchesSubset(check.args, decision.args);
    case "rubric":
    case "environment":
      return null;
  }
}

/** A short rendering of a decision for evidence notes: `answer: "…"` or `tool_call cancel_order {"id":1}`. */
export function describeDecision(decision: AgentDecision, maxLength = 300): string {
  const text =
    decision.type === "answer"
      ? `answer: ${JSON.stringify(decision.answer)}`
      : `tool_call ${decision.name} ${JSON.stringify(decision.args)}`;
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
