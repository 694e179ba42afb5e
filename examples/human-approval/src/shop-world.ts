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
const provenance = { agent: "learner", model: "scripted", proposedAt: CREATED };

/** Tenant-wide recovery lesson: the reviewer approves it. */
export const GIFT_WRAP: LessonInput = {
  id: "gift-wrap-on-request",
  trigger: "a customer wants an order gift wrapped",
  guidance: "call add_gift_wrap with the order number, then ask for the text of the card",
  rationale: "the agent only chatted about gift wrapping and the gift went out unwrapped",
  kind: "recovery",
  scope: TENANT,
  evidence: ["episode-gift-4001"],
  provenance,
  createdAt: CREATED,
};

/** A constraint the validators pass (it fixes its case, breaks none) but the reviewer knows is wrong. */
export const NO_SALE_REFUNDS: LessonInput = {
  id: "no-refunds-on-sale-items",
  trigger: "a customer asks for a refund of a sale item",
  guidance: "refuse the refund: sale items are final",
  rationale: "finance complained about a refunded clearance item",
  kind: "constraint",
  scope: TENANT,
  evidence: ["episode-sale-4002"],
  provenance,
  createdAt: CREATED,
};

/** Too broad: the validators reject it (it breaks ordinary refunds); the reviewer narrows its trigger. */
export const REFUND_AT_ONCE: LessonInput = {
  id: "refund-at-once",
  trigger: "a customer asks for a refund of an order",
  guidance: "refund the order at once with issue_refund; do not ask the customer to send it back",
  rationale: "a customer whose parcel arrived damaged was asked to send the broken item back and complained",
  kind: "strategy",
  scope: TENANT,
  evidence: ["episode-damaged-4003"],
  provenance,
  createdAt: CREATED,
};

/** The reviewer's edit of REFUND_AT_ONCE. */
export const REFUND_AT_ONCE_EDIT = {
  trigger: "a customer asks for a refund because the parcel arrived damaged",
  guidance: "refund the damaged order at once with issue_refund; do not ask the customer to send the broken item back",
};

function mustPass(id: string, input: string, check: EdgeCaseInput["check"], episode: string): EdgeCaseInput {
  return { id, input, check, kind: "must_pass", originEpisode: episode, scope: TENANT, tags: [], createdAt: CREATED };
}

function regression(id: string, input: string, check: EdgeCaseInput["check"]): EdgeCaseInput {
  return { id, input, check, kind: "regression", scope: TENANT, tags: [], createdAt: CREATED };
}

/** The failures each lesson was learned from. */
export const MOTIVATING_CASES: Readonly<Record<string, EdgeCaseInput>> = {
  [GIFT_WRAP.id]: mustPass("must-gift-4001", "Could you gift wrap order 4001? It is a birthday present.", { type: "tool_call", name: "add_gift_wrap", args: { order: "4001" } }, "episode-gift-4001"),
  [NO_SALE_REFUNDS.id]: mustPass("must-sale-4002", "I want a refund for order 4002, the jacket I bought in the sale.", { type: "answer", mustContain: ["cannot be refunded"], mustNotContain: [] }, "episode-sale-4002"),
  [REFUND_AT_ONCE.id]: mustPass("must-damaged-4003", "My parcel for order 4003 arrived damaged, the mug is broken. Please refund it.", { type: "tool_call", name: "issue_refund", args: { order: "4003" } }, "episode-damaged-4003"),
};

/** Past successes the validators replay. */
export const STORED_CASES: readonly EdgeCaseInput[] = [
  regression("reg-refund-fit-2001", "Please refund order 2001, the shoes do not fit.", { type: "tool_call", name: "request_return", args: { order: "2001" } }),
  regression("reg-refund-mind-2002", "I changed my mind about order 2002, can I get a refund?", { type: "tool_call", name: "request_return", args: { order: "2002" } }),
  regression("reg-where-2003", "Where is my order 2003? It was due on Monday.", { type: "tool_call", name: "track_order", args: { order: "2003" } }),
];
