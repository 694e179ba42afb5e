import type { Directive } from "../sim/lesson-language.js";
import { cantFinish, notUnderstood, type PlanContext, type SimPlanner } from "../sim/planner.js";
import { DOCUMENTED_POLICY, policyDirectives, readPolicyRequest } from "./refund-docs.js";
import { eur } from "./world-kit.js";

/**
 * How the simulated agent works a refund or store-credit request (policy-shift)
 * from the documented policy, which lessons of the same slot override.
 */
export const policyPlanner: SimPlanner = (context: PlanContext): string => {
  const request = readPolicyRequest(context.task.request);
  if (request === undefined) return notUnderstood;
  const order = context.exec("get_order", { order_id: request.orderId });
  if (!order.ok) return cantFinish(order);
  const amount = Number(order.data["amount"]);
  const days = Number(order.data["delivered_days_ago"]);
  const tool = request.kind === "refund" ? "issue_refund" : "issue_store_credit";
  // Lessons override the documented rule of the same slot; a late request is judged before its amount.
  const routes = [...context.followed, ...policyDirectives(DOCUMENTED_POLICY)].filter(
    (directive): directive is Extract<Directive, { kind: "route_above" }> =>
      directive.kind === "route_above" && (directive.tool === tool || directive.tool === "*"),
  );
  const seen = new Set<string>();
  const ordered = routes
    .filter((route) => {
      const slot = `${route.quantity}:${route.instead}`;
      if (seen.has(slot)) return false;
      seen.add(slot);
      return true;
    })
    .sort((a, b) => (a.quantity === b.quantity ? 0 : a.quantity === "days_since_delivery" ? -1 : 1));
  const route = ordered.find((candidate) => (candidate.quantity === "amount" ? amount : days) > candidate.above);
  const action = route?.instead ?? tool;
  const args: Record<string, unknown> = { order_id: request.orderId };
  if (action !== "deny_refund") args["amount"] = context.slip(amount);
  if (action === "request_manager_approval") args["reason"] = `${eur(amount)} EUR needs a manager's approval`;
  if (action === "deny_refund") args["reason"] = `the request came ${days} days after delivery, outside the refund window`;
  const result = context.exec(action, args);
  if (!result.ok) return cantFinish(result);
  switch (action) {
    case "deny_refund":
      return `The refund for order ${request.orderId} was declined: it came ${days} days after delivery.`;
    case "request_manager_approval":
      return `The ${request.kind === "refund" ? "refund" : "store credit"} of ${eur(amount)} EUR for order ${request.orderId} is waiting for a manager's approval.`;
    default:
      return `${request.kind === "refund" ? "Refunded" : "Credited"} ${eur(amount)} EUR for order ${request.orderId}.`;
  }
};
