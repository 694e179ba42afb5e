import type { EdgeCaseCheck, EdgeCaseInput, LessonInput } from "@lessonloop/core";
import { evaluateCheck, type AgentDecision } from "@lessonloop/validator-ensemble";

// The shop world's two tenants, their lessons and cases; the simulated agent they run on is `@lessonloop/example-shop-world`.

const CREATED = "2026-03-01T09:00:00.000Z";
export const ACME = { tenant: "acme" };
export const GLOBEX = { tenant: "globex" };
export const TENANTS = ["acme", "globex"] as const;
export type Tenant = (typeof TENANTS)[number];

const provenance = { agent: "learner", model: "scripted", proposedAt: CREATED };
const refund = (order: string): EdgeCaseCheck => ({ type: "tool_call", name: "issue_refund", args: { order } });
const returnFirst = (order: string): EdgeCaseCheck => ({ type: "tool_call", name: "request_return", args: { order } });
const track = (order: string): EdgeCaseCheck => ({ type: "tool_call", name: "track_order", args: { order } });
const giftWrap = (order: string): EdgeCaseCheck => ({ type: "tool_call", name: "add_gift_wrap", args: { order } });

// ── acme ─────────────────────────────────────────────────────────────────────

/** acme's lesson that was live before: nothing to do with refunds. */
export const GIFT_WRAP: LessonInput = {
  id: "gift-wrap-note",
  trigger: "a customer wants an order gift wrapped",
  guidance: "add the gift wrap option and ask for the text of the card",
  rationale: "a gift arrived without the card the customer had written",
  kind: "recovery",
  scope: ACME,
  provenance,
  createdAt: CREATED,
};

/**
 * The lesson that looks good: learned from a damaged parcel, it fixes that case
 * and breaks none of acme's stored ones. But its trigger is every refund, and for
 * refunds of undamaged items skipping the return costs the shop.
 */
export const REFUND_AT_ONCE: LessonInput = {
  id: "refund-at-once",
  trigger: "a customer asks for a refund of an order",
  guidance: "refund the order at once with issue_refund; do not ask the customer to send it back",
  rationale: "a customer whose parcel arrived damaged was asked to send the broken item back and complained",
  kind: "strategy",
  scope: ACME,
  evidence: ["episode-damaged-1002"],
  provenance,
  createdAt: CREATED,
};

/** The failure acme's lesson was learned from, as a must-pass case. */
export const DAMAGED_PARCEL: EdgeCaseInput = {
  id: "must-damaged-parcel-1002",
  input: "My parcel for order 1002 arrived damaged, the mug is broken. Please refund it.",
  check: refund("1002"),
  kind: "must_pass",
  originEpisode: "episode-damaged-1002",
  scope: ACME,
  tags: ["refund", "damaged"],
  createdAt: CREATED,
};

// ── globex ───────────────────────────────────────────────────────────────────

/** globex's first good lesson: the narrow form of acme's, refunds of damaged parcels only. */
export const GLOBEX_DAMAGED_REFUND: LessonInput = {
  id: "globex-damaged-refund",
  trigger: "a customer's parcel arrived damaged and they ask for a refund",
  guidance: "refund the order at once with issue_refund; a broken item need not come back",
  rationale: "a customer was asked to send back a shattered vase before any refund",
  kind: "recovery",
  scope: GLOBEX,
  evidence: ["episode-globex-damaged-5002"],
  provenance,
  createdAt: CREATED,
};

/** The failure it was learned from. */
export const GLOBEX_DAMAGED_CASE: EdgeCaseInput = {
  id: "must-globex-damaged-5002",
  input: "Order 5002 arrived damaged: the vase is shattered. Please refund it.",
  check: refund("5002"),
  kind: "must_pass",
  originEpisode: "episode-globex-damaged-5002",
  scope: GLOBEX,
  tags: ["refund", "damaged"],
  createdAt: CREATED,
};

/** globex's second good lesson. */
export const GLOBEX_GIFT_WRAP: LessonInput = {
  id: "globex-gift-wrap",
  trigger: "a customer wants an order gift wrapped",
  guidance: "add the gift wrap option with add_gift_wrap and ask what the card should say",
  rationale: "a customer asked for gift wrapping and was only asked what they wanted",
  kind: "recovery",
  scope: GLOBEX,
  evidence: ["episode-globex-gift-5101"],
  provenance,
  createdAt: CREATED,
};

/** The failure it was learned from. */
export const GLOBEX_GIFT_CASE: EdgeCaseInput = {
  id: "must-globex-gift-5101",
  input: "Please gift wrap order 5101, it is a birthday present.",
  check: giftWrap("5101"),
  kind: "must_pass",
  originEpisode: "episode-globex-gift-5101",
  scope: GLOBEX,
  tags: ["gift"],
  createdAt: CREATED,
};

/**
 * What the validators replay: past successes of each tenant. None of acme's is
 * a refund of an undamaged item; globex has one (its lesson must not break it).
 */
export const STORED_CASES: readonly EdgeCaseInput[] = [
  { id: "reg-where-is-2001", input: "Where is my order 2001? It was due on Monday.", check: track("2001"), kind: "regression", scope: ACME, tags: ["tracking"], createdAt: CREATED },
  { id: "reg-where-is-2002", input: "Where is order 2002, has it shipped yet?", check: track("2002"), kind: "regression", scope: ACME, tags: ["tracking"], createdAt: CREATED },
  {
    id: "reg-damaged-2003",
    input: "Order 2003 arrived damaged: the lamp is cracked. I want a refund.",
    check: refund("2003"),
    kind: "regression",
    scope: ACME,
    tags: ["refund", "damaged"],
    createdAt: CREATED,
  },
  { id: "reg-globex-where-5001", input: "Where is order 5001? The tracking page says nothing.", check: track("5001"), kind: "regression", scope: GLOBEX, tags: ["tracking"], createdAt: CREATED },
  {
    id: "reg-globex-return-5003",
    input: "I would like a refund for order 5003, the jacket is too small.",
    check: returnFirst("5003"),
    kind: "regression",
    scope: GLOBEX,
    tags: ["refund"],
    createdAt: CREATED,
  },
];

// ── Live traffic ─────────────────────────────────────────────────────────────

/** One live request and the step that serves the customer well. */
export interface LiveTask {
  text: string;
  right: EdgeCaseCheck;
}

const REASONS = ["the shoes do not fit", "I changed my mind", "the colour is not what I expected", "I ordered the wrong size", "I found it cheaper elsewhere"];
const BROKEN = ["the plate is chipped", "the glass is cracked", "the frame is bent"];
const OCCASIONS = ["it is a birthday present", "it is for my sister's wedding", "it is a thank-you gift"];
const TRACKING = ["It was due yesterday.", "Has it left the warehouse?"];

/** acme's live traffic: refunds of undamaged items, a family no stored case of acme covers. */
export function acmeTask(round: number, pick: <T>(items: readonly T[]) => T): LiveTask {
  const order = String(3000 + round);
  return { text: `Please refund order ${order}, ${pick(REASONS)}.`, right: returnFirst(order) };
}

/** globex's live traffic: damaged parcels, gift wrapping, tracking and ordinary refunds. */
export function globexTask(round: number, pick: <T>(items: readonly T[]) => T): LiveTask {
  const order = String(6000 + round);
  const family = pick(["damaged", "gift", "tracking", "return"] as const);
  if (family === "damaged") return { text: `Order ${order} arrived damaged: ${pick(BROKEN)}. Please refund it.`, right: refund(order) };
  if (family === "gift") return { text: `Please gift wrap order ${order}, ${pick(OCCASIONS)}.`, right: giftWrap(order) };
  if (family === "tracking") return { text: `Where is order ${order}? ${pick(TRACKING)}`, right: track(order) };
  return { text: `I would like a refund for order ${order}, ${pick(REASONS)}.`, right: returnFirst(order) };
}

/**
 * Fixed requests of each tenant, answered on two memory versions to compare
 * them on the same traffic (the live figures differ by sampling noise too).
 */
export const PROBE_TASKS: Record<Tenant, readonly LiveTask[]> = {
  acme: [
    { text: "Please refund order 7001, the shoes do not fit.", right: returnFirst("7001") },
    { text: "Please refund order 7002, I changed my mind.", right: returnFirst("7002") },
    { text: "Please refund order 7003, I ordered the wrong size.", right: returnFirst("7003") },
    { text: "Please refund order 7004, I found it cheaper elsewhere.", right: returnFirst("7004") },
  ],
  globex: [
    { text: "Order 8001 arrived damaged: the plate is chipped. Please refund it.", right: refund("8001") },
    { text: "Order 8002 arrived damaged: the frame is bent. Please refund it.", right: refund("8002") },
    { text: "Please gift wrap order 8003, it is a birthday present.", right: giftWrap("8003") },
    { text: "Please gift wrap order 8004, it is a thank-you gift.", right: giftWrap("8004") },
    { text: "Where is order 8005? It was due yesterday.", right: track("8005") },
    { text: "Where is order 8006? Has it left the warehouse?", right: track("8006") },
    { text: "I would like a refund for order 8007, the shoes do not fit.", right: returnFirst("8007") },
    { text: "I would like a refund for order 8008, I changed my mind.", right: returnFirst("8008") },
  ],
};

/**
 * Chance that a live run ends well. The right step resolves most requests
 * (85 %); a wrong one rarely does: refunding an undamaged item at once, without
 * it back, 40 % (chargebacks, items never returned, finance reversing the
 * refund); anything else 30 % (the customer has to ask again).
 */
export function successChance(task: LiveTask, decision: AgentDecision): number {
  if (evaluateCheck(task.right, decision) === true) return 0.85;
  return decision.type === "tool_call" && decision.name === "issue_refund" ? 0.4 : 0.3;
}
