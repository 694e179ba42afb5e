import { renderDirective, type Directive } from "../sim/lesson-language.js";
import { eur } from "./world-kit.js";
import type { ToolSpec } from "./world.js";

/**
 * What policy-shift tells its agent: the documented tools, the refund policy
 * as the documentation states it, and the wording of its requests. The policy
 * in force later is the world's secret (`policy-shift.ts`).
 */

/** The documented tools; the descriptions state the documented policy. */
export const POLICY_TOOLS: readonly ToolSpec[] = [
  {
    name: "get_order",
    description: "Look up an order: amount in EUR, days since delivery, status.",
    parameters: { order_id: "string, order id, e.g. O-5521" },
    required: ["order_id"],
  },
  {
    name: "issue_refund",
    description:
      "Refund an order. Policy: refunds are allowed within 30 days of delivery (deny_refund after that); refunds above 200.00 EUR need a manager's approval (request_manager_approval instead).",
    parameters: { order_id: "string, order id", amount: "number, refund in EUR" },
    required: ["order_id", "amount"],
  },
  {
    name: "request_manager_approval",
    description: "Send a refund or store credit to a manager for approval instead of granting it.",
    parameters: { order_id: "string, order id", amount: "number, amount in EUR", reason: "string, why approval is needed" },
    required: ["order_id", "amount", "reason"],
  },
  {
    name: "deny_refund",
    description: "Decline a refund request, with the reason.",
    parameters: { order_id: "string, order id", reason: "string, reason given to the customer" },
    required: ["order_id", "reason"],
  },
  {
    name: "issue_store_credit",
    description: "Give store credit for an order. Policy: no approval needed.",
    parameters: { order_id: "string, order id", amount: "number, credit in EUR" },
    required: ["order_id", "amount"],
  },
];

/** The policy at one point of the stream. */
export interface RefundPolicy {
  /** Refunds above this many EUR need a manager's approval. */
  approvalAbove: number;
  /** Refunds more than this many days after delivery are denied. */
  windowDays: number;
  /** Store credit above this many EUR needs a manager's approval (`undefined`: never). */
  creditApprovalAbove: number | undefined;
}

/** The policy the documentation states. */
export const DOCUMENTED_POLICY: RefundPolicy = { approvalAbove: 200, windowDays: 30, creditApprovalAbove: undefined };

/** The documented policy as directives, in the order it is applied (a late request is denied whatever its amount). */
export function policyDirectives(policy: RefundPolicy): Directive[] {
  const directives: Directive[] = [
    { kind: "route_above", tool: "issue_refund", quantity: "days_since_delivery", above: policy.windowDays, instead: "deny_refund" },
    { kind: "route_above", tool: "issue_refund", quantity: "amount", above: policy.approvalAbove, instead: "request_manager_approval" },
  ];
  if (policy.creditApprovalAbove !== undefined) {
    directives.push({ kind: "route_above", tool: "issue_store_credit", quantity: "amount", above: policy.creditApprovalAbove, instead: "request_manager_approval" });
  }
  return directives;
}

/** A request of this world, read back. */
export interface PolicyRequest {
  kind: "refund" | "store-credit";
  orderId: string;
  amount: number;
  daysSinceDelivery: number;
}

const REFUND = /^The customer of order (O-\d+) \(delivered (\d+) days ago\) asks for a refund of (\d+\.\d{2}) EUR\.$/;
const CREDIT = /^Give the customer of order (O-\d+) \(delivered (\d+) days ago\) (\d+\.\d{2}) EUR in store credit for the late delivery\.$/;

/** Reads a request of policy-shift; `undefined` when it is not one. */
export function readPolicyRequest(request: string): PolicyRequest | undefined {
  const refund = REFUND.exec(request);
  if (refund !== null) return { kind: "refund", orderId: refund[1] as string, daysSinceDelivery: Number(refund[2]), amount: Number(refund[3]) };
  const credit = CREDIT.exec(request);
  if (credit !== null) return { kind: "store-credit", orderId: credit[1] as string, daysSinceDelivery: Number(credit[2]), amount: Number(credit[3]) };
  return undefined;
}

/** Writes a request of policy-shift, as a customer-service agent gets it. */
export function writePolicyRequest(request: PolicyRequest): string {
  return request.kind === "refund"
    ? `The customer of order ${request.orderId} (delivered ${request.daysSinceDelivery} days ago) asks for a refund of ${eur(request.amount)} EUR.`
    : `Give the customer of order ${request.orderId} (delivered ${request.daysSinceDelivery} days ago) ${eur(request.amount)} EUR in store credit for the late delivery.`;
}
