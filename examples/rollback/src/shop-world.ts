import type { EdgeCaseInput, LessonInput } from "@lessonloop/core";
import type { AgentDecision } from "@lessonloop/validator-ensemble";

// The shop world's lessons and cases; the simulated agent they run on is `@lessonloop/example-shop-world`.

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
