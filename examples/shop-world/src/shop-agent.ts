import type { Lesson } from "@lessonloop/core";
import { evaluateCheck, type AgentDecision, type ReplayRunner, type RolePlayTool } from "@lessonloop/validator-ensemble";

/** The simulated shop support agent's tools (also described to a real model's role-play). */
export const SHOP_TOOLS: readonly RolePlayTool[] = [
  { name: "issue_refund", description: "Refunds an order at once. Args: { order: string }" },
  { name: "request_return", description: "Asks the customer to send the item back; the refund follows when it arrives. Args: { order: string }" },
  { name: "track_order", description: "Looks up where an order is. Args: { order: string }" },
  { name: "add_gift_wrap", description: "Gift wraps an order. Args: { order: string }" },
];

export const AGENT_DESCRIPTION = "A support agent for an online shop that handles refunds, returns and order tracking.";

const orderOf = (task: string): string => /order (\d+)/i.exec(task)?.[1] ?? "unknown";

/** Words of a trigger that must all appear in a task for the simulated agent to apply the lesson. */
const KEY_TERMS = ["refund", "damaged", "gift", "sale"] as const;

/** Whether the simulated agent applies `lesson` to `task`: every key term of its trigger is in the task. */
export function lessonApplies(lesson: Pick<Lesson, "trigger">, task: string): boolean {
  const trigger = lesson.trigger.toLowerCase();
  const text = task.toLowerCase();
  return KEY_TERMS.every((term) => !trigger.includes(term) || text.includes(term));
}

/** What the simulated agent does when it follows a lesson's guidance. */
function followGuidance(guidance: string, task: string): AgentDecision | undefined {
  const text = guidance.toLowerCase();
  if (text.includes("refuse")) return { type: "answer", answer: "Sorry, sale items cannot be refunded." };
  if (text.includes("add_gift_wrap") || text.includes("gift wrap")) return { type: "tool_call", name: "add_gift_wrap", args: { order: orderOf(task) } };
  if (text.includes("refund") && text.includes("at once")) return { type: "tool_call", name: "issue_refund", args: { order: orderOf(task) } };
  return undefined;
}

/**
 * The simulated agent's next step on `task`, following the first of `lessons`
 * that applies. Without a lesson it asks for a return before any refund (right
 * for most refunds, wrong for a damaged parcel), looks orders up, and
 * otherwise asks what the customer wants.
 */
export function shopAgentDecision(task: string, lessons: readonly Pick<Lesson, "trigger" | "guidance">[]): AgentDecision {
  for (const lesson of lessons) {
    const decision = lessonApplies(lesson, task) ? followGuidance(lesson.guidance, task) : undefined;
    if (decision !== undefined) return decision;
  }
  const text = task.toLowerCase();
  if (text.includes("refund")) return { type: "tool_call", name: "request_return", args: { order: orderOf(task) } };
  if (text.includes("where")) return { type: "tool_call", name: "track_order", args: { order: orderOf(task) } };
  return { type: "answer", answer: "Happy to help: what would you like to do with your order?" };
}

/**
 * Replays an edge case by running the simulated agent with and without the
 * lesson (a sandbox runner), with what the live path would put in its context
 * beside it: the lessons memory serves there (`companions`).
 */
export function createSimulatedRunner(): ReplayRunner {
  return {
    async replay({ edgeCase, lesson, companions = [] }) {
      const decision = shopAgentDecision(edgeCase.input, lesson === undefined ? companions : [lesson, ...companions]);
      return { passed: evaluateCheck(edgeCase.check, decision), output: decision };
    },
  };
}
