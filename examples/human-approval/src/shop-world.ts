import type { EdgeCaseInput, LessonInput } from "@lessonloop/core";

// The shop world's lessons and cases; the simulated agent they run on is `@lessonloop/example-shop-world`.

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
