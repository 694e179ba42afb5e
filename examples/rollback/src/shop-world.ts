import type { EdgeCaseInput, Lesson, LessonInput } from "@lessonloop/core";
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
const KEY_TERMS = ["refund", "damaged", "gift"] as const;

/** Whether the simulated agent applies `lesson` to `task`: every key term of its trigger is in the task. */
export function lessonApplies(lesson: Pick<Lesson, "trigger">, task: string): boolean {
  const trigger = lesson.trigger.toLowerCase();
  const text = task.toLowerCase();
  return KEY_TERMS.every((term) => !trigger.includes(term) || text.includes(term));
}

/** What the simulated agent does when it follows a lesson's guidance. */
function followGuidance(guidance: string, task: string): AgentDecision | undefined {
  const text = guidance.toLowerCase();
  if (text.includes("add_gift_wrap") || text.includes("gift wrap")) return { type: "tool_call", name: "add_gift_wrap", args: { order: orderOf(task) } };
  if (text.includes("refund") && text.includes("at once")) return { type: "tool_call", name: "issue_refund", args: { order: orderOf(task) } };
  return undefined;
}

/**
 * The simulated agent's next step on `task`, following the first of `lessons`
 * that applies. Without a lesson it asks for a return before any refund (right
 * for most refunds, wrong for a damaged parcel) and looks orders up.
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

/** Replays an edge case by running the simulated agent with and without the lesson (a sandbox runner). */
export function createSimulatedRunner(): ReplayRunner {
  return {
    async replay({ edgeCase, lesson }) {
      const decision = shopAgentDecision(edgeCase.input, lesson === undefined ? [] : [lesson]);
      return { passed: evaluateCheck(edgeCase.check, decision), output: decision };
    },
  };
}

const CREATED = "2026-03-01T09:00:00.000Z";
export const TENANT = { tenant: "acme" };

/** The lesson that was live before: nothing to do with refunds. */
export const GIFT_WRAP: LessonInput = {
  id: "gift-wrap-note",
  trigger: "a customer wants an order gift wrapped",
  guidance: "add the gift wrap option and ask for the text of the card",
  rationale: "a gift arrived without the card the customer had written",
  kind: "recovery",
  scope: TENANT,
  provenance: { agent: "learner", model: "scripted", proposedAt: CREATED },
  createdAt: CREATED,
};

/**
 * The lesson that looks good: learned from a damaged parcel, it fixes that case
 * and breaks none of the stored ones. But its trigger is every refund, and for
 * refunds of undamaged items skipping the return costs the shop.
 */
export const REFUND_AT_ONCE: LessonInput = {
  id: "refund-at-once",
  trigger: "a customer asks for a refund of an order",
  guidance: "refund the order at once with issue_refund; do not ask the customer to send it back",
  rationale: "a customer whose parcel arrived damaged was asked to send the broken item back and complained",
  kind: "strategy",
  scope: TENANT,
  evidence: ["episode-damaged-1002"],
  provenance: { agent: "learner", model: "scripted", proposedAt: CREATED },
  createdAt: CREATED,
};

/** The failure the lesson was learned from, as a must-pass case. */
export const DAMAGED_PARCEL: EdgeCaseInput = {
  id: "must-damaged-parcel-1002",
  input: "My parcel for order 1002 arrived damaged, the mug is broken. Please refund it.",
  check: { type: "tool_call", name: "issue_refund", args: { order: "1002" } },
  kind: "must_pass",
  originEpisode: "episode-damaged-1002",
  scope: TENANT,
  tags: ["refund", "damaged"],
  createdAt: CREATED,
};

/** What the validators replay: past successes. None is a refund of an undamaged item. */
export const STORED_CASES: readonly EdgeCaseInput[] = [
  {
    id: "reg-where-is-2001",
    input: "Where is my order 2001? It was due on Monday.",
    check: { type: "tool_call", name: "track_order", args: { order: "2001" } },
    kind: "regression",
    scope: TENANT,
    tags: ["tracking"],
    createdAt: CREATED,
  },
  {
    id: "reg-where-is-2002",
    input: "Where is order 2002, has it shipped yet?",
    check: { type: "tool_call", name: "track_order", args: { order: "2002" } },
    kind: "regression",
    scope: TENANT,
    tags: ["tracking"],
    createdAt: CREATED,
  },
  {
    id: "reg-damaged-2003",
    input: "Order 2003 arrived damaged: the lamp is cracked. I want a refund.",
    check: { type: "tool_call", name: "issue_refund", args: { order: "2003" } },
    kind: "regression",
    scope: TENANT,
    tags: ["refund", "damaged"],
    createdAt: CREATED,
  },
];

/** Live traffic: refunds of undamaged items, a family no stored case covers. */
const LIVE_REASONS = ["the shoes do not fit", "I changed my mind", "the colour is not what I expected", "I ordered the wrong size", "I found it cheaper elsewhere"];

/** The live task of episode `index`. */
export function liveTask(index: number, pick: <T>(items: readonly T[]) => T): string {
  return `Please refund order ${3000 + index}, ${pick(LIVE_REASONS)}.`;
}

/**
 * Whether the live run succeeded. Asking for the return first resolves 85 % of
 * these refunds well; refunding at once, without the item back, only 40 %
 * (chargebacks, items never returned, finance reversing the refund).
 */
export function liveSuccessChance(decision: AgentDecision): number {
  return decision.type === "tool_call" && decision.name === "issue_refund" ? 0.4 : 0.85;
}
