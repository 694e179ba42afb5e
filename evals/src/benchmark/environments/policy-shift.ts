import { keyedDraw, keyedRandom } from "../keyed-draw.js";
import { directiveSlot, renderDirective } from "../sim/lesson-language.js";
import { createTruthBook, type DriftPoint, type Environment, type TruthBook } from "./environment.js";
import { DOCUMENTED_POLICY, POLICY_TOOLS, policyDirectives, readPolicyRequest, writePolicyRequest, type PolicyRequest, type RefundPolicy } from "./refund-docs.js";
import { checkIndex, checkStreamParams, driftsAt, eur, expandOverTools, fail, gradeDirectives, ok, statesRuleIn, unreadableRequest, validateArgs, type EndpointShape } from "./world-kit.js";
import { policyPlanner } from "./refund-planner.js";
import type { Session, Task, TaskSignals, ToolResult } from "./world.js";

const NAME = "policy-shift";

interface PolicyDrift extends DriftPoint {
  policy: Partial<RefundPolicy>;
}

/** The drift schedule of policy-shift, for a stream of 120 tasks. */
export const POLICY_DRIFTS: readonly PolicyDrift[] = [
  { at: 30, change: "manager-approval threshold for refunds drops from 200 to 100 EUR", kinds: ["refund"], policy: { approvalAbove: 100 } },
  { at: 60, change: "refund window shrinks from 30 to 14 days after delivery", kinds: ["refund"], policy: { windowDays: 14 } },
  { at: 90, change: "store credit above 50 EUR now needs a manager's approval", kinds: ["store-credit"], policy: { creditApprovalAbove: 50 } },
];

/** The rules each task kind touches: the refund rules for a refund, the store-credit rule for store credit. */
const POLICY_SLOTS: Readonly<Record<string, ReadonlySet<string>>> = (() => {
  const every = policyDirectives({ ...DOCUMENTED_POLICY, creditApprovalAbove: 0 });
  const of = (tool: string) => new Set(every.filter((directive) => "tool" in directive && directive.tool === tool).map(directiveSlot));
  return { refund: of("issue_refund"), "store-credit": of("issue_store_credit") };
})();

function policyAt(at: number): RefundPolicy {
  return driftsAt(POLICY_DRIFTS, at).reduce<RefundPolicy>((policy, drift) => ({ ...policy, ...drift.policy }), { ...DOCUMENTED_POLICY });
}

type Action = "issue_refund" | "request_manager_approval" | "deny_refund" | "issue_store_credit";
interface Decision {
  action: Action;
  id: string;
  orderId: string;
  amount?: number;
}

const SHAPES: Record<Action | "get_order", EndpointShape> = {
  get_order: { params: { order_id: "string" }, required: ["order_id"] },
  issue_refund: { params: { order_id: "string", amount: "number" }, required: ["order_id", "amount"] },
  request_manager_approval: { params: { order_id: "string", amount: "number", reason: "string" }, required: ["order_id", "amount", "reason"] },
  deny_refund: { params: { order_id: "string", reason: "string" }, required: ["order_id", "reason"] },
  issue_store_credit: { params: { order_id: "string", amount: "number" }, required: ["order_id", "amount"] },
};

const PREFIX: Record<Action, string> = { issue_refund: "R", request_manager_approval: "AP", deny_refund: "DN", issue_store_credit: "SC" };

class PolicySession implements Session {
  private readonly decisions: Decision[] = [];
  private finished = false;

  constructor(
    private readonly task: Task,
    private readonly request: PolicyRequest,
    private readonly policy: RefundPolicy,
    private readonly vagueAuditRate: number,
    private readonly truths: TruthBook,
  ) {}

  callTool(name: string, args: Record<string, unknown>): ToolResult {
    if (this.finished) return fail("409 Conflict: the task is already finished");
    const shape = SHAPES[name as Action | "get_order"] as EndpointShape | undefined;
    if (shape === undefined) return fail(`404 Not Found: no endpoint "${name}"`);
    const invalid = validateArgs(args, shape);
    if (invalid !== undefined) return invalid;
    const orderId = args["order_id"] as string;
    if (orderId !== this.request.orderId) return fail(`404 Not Found: order "${orderId}" does not exist`);
    if (name === "get_order") {
      return ok({ order_id: orderId, amount: this.request.amount, delivered_days_ago: this.request.daysSinceDelivery, status: "delivered" });
    }
    const action = name as Action;
    const decision: Decision = { action, id: `${PREFIX[action]}-${this.decisions.length + 11}`, orderId };
    if (typeof args["amount"] === "number") decision.amount = args["amount"] as number;
    this.decisions.push(decision);
    return ok({ id: decision.id, status: action === "request_manager_approval" ? "pending approval" : "done" });
  }

  /** What the policy requires for this request. */
  private required(): Action {
    const { kind, amount, daysSinceDelivery } = this.request;
    if (kind === "store-credit") {
      const limit = this.policy.creditApprovalAbove;
      return limit !== undefined && amount > limit ? "request_manager_approval" : "issue_store_credit";
    }
    if (daysSinceDelivery > this.policy.windowDays) return "deny_refund";
    return amount > this.policy.approvalAbove ? "request_manager_approval" : "issue_refund";
  }

  finish(_answer: string): TaskSignals {
    this.finished = true;
    const { passed, said, truth } = this.audit();
    this.truths.record(this, { passed, reason: truth });
    return { audit: { passed, reason: said } };
  }

  /** The auditor's finding (`said`), and the ground truth behind it. */
  private audit(): { passed: boolean; said: string; truth: string } {
    const { kind, orderId, amount, daysSinceDelivery } = this.request;
    const { approvalAbove, windowDays, creditApprovalAbove } = this.policy;
    const what = kind === "refund" ? "refund" : "store credit";
    const required = this.required();
    const made = this.decisions;
    const failed = (said: string, truth = said) => ({ passed: false, said, truth });
    if (made.length === 0) return failed(`No decision was recorded on the ${what} request for order ${orderId}.`);
    if (new Set(made.map((decision) => decision.action)).size > 1) {
      return failed(`The ${what} request for order ${orderId} got conflicting decisions (${made.map((decision) => decision.action).join(", ")}).`);
    }
    const decision = made[0] as Decision;
    const vague = keyedDraw(NAME, "vague-audit", this.task.id) < this.vagueAuditRate;
    const label = kind === "refund" ? "Refund" : "Store credit";
    const vagueSaid = `${label} ${decision.id} did not comply with the ${what} policy.`;

    if (decision.action === required) {
      if (decision.amount !== undefined && Math.abs(decision.amount - amount) > 0.004) {
        return failed(`${label} ${decision.id} of €${eur(decision.amount)} does not match the requested €${eur(amount)}.`);
      }
      return { passed: true, said: `${label} decision ${decision.id} on order ${orderId} complies with the ${what} policy.`, truth: "done right" };
    }
    const given = decision.amount ?? amount;
    switch (`${required}<-${decision.action}`) {
      case "deny_refund<-issue_refund": {
        const precise = `${label} ${decision.id} for order ${orderId} was issued ${daysSinceDelivery} days after delivery; refunds are allowed within ${windowDays} days.`;
        return failed(vague ? vagueSaid : precise, precise);
      }
      case "request_manager_approval<-issue_refund": {
        const precise = `${label} ${decision.id} of €${eur(given)} exceeded the €${eur(approvalAbove)} self-approval limit.`;
        return failed(vague ? vagueSaid : precise, precise);
      }
      case "request_manager_approval<-issue_store_credit": {
        const precise = `${label} ${decision.id} of €${eur(given)} exceeded the €${eur(creditApprovalAbove ?? 0)} limit without manager approval.`;
        return failed(vague ? vagueSaid : precise, precise);
      }
      case "deny_refund<-request_manager_approval":
        return failed(`The refund request for order ${orderId} was escalated, but it came ${daysSinceDelivery} days after delivery, outside the ${windowDays}-day refund window, and should have been denied.`);
      case "issue_refund<-request_manager_approval":
        return failed(`The refund of €${eur(amount)} for order ${orderId} was escalated to a manager although it was within the €${eur(approvalAbove)} self-approval limit.`);
      case "issue_store_credit<-request_manager_approval":
        return failed(`Store credit for order ${orderId} (€${eur(amount)}) was escalated to a manager although it needed no approval.`);
      default:
        return failed(`The ${what} request for order ${orderId} was answered with ${decision.action}, which the policy does not allow here (delivered ${daysSinceDelivery} days ago, €${eur(amount)}).`);
    }
  }
}

/** Parameters of {@link createPolicyShiftEnvironment}. */
export interface PolicyShiftParams {
  /** Share of failing audits that say only "did not comply with the policy" (decided per task). Default 0.25. */
  vagueAuditRate?: number;
}

/**
 * policy-shift: refunds and store credit under business rules that change at
 * scheduled points (approval threshold 200 → 100 EUR, refund window 30 → 14
 * days, store credit above 50 EUR needs approval), enforced by an auditor
 * whose findings are the only signal.
 */
export function createPolicyShiftEnvironment({ vagueAuditRate = 0.25 }: PolicyShiftParams = {}): Environment {
  const expand = expandOverTools(POLICY_TOOLS);
  const truths = createTruthBook(NAME);
  return {
    name: NAME,
    description:
      "Refunds and store credit under a policy that shifts three times (approval threshold 200 → 100 EUR, refund window 30 → 14 days, store credit above 50 EUR needs approval); an auditor reports violations.",
    tools: POLICY_TOOLS,
    simPlanner: policyPlanner,
    drifts: POLICY_DRIFTS.map(({ at, change, kinds }) => ({ at, change, kinds })),
    defaultTaskCount: 120,

    tasks({ seed, count }) {
      checkStreamParams(NAME, seed, count);
      const random = keyedRandom(NAME, "stream", seed);
      return Array.from({ length: count }, (_unused, index) => {
        const kind = random.chance(0.65) ? "refund" : "store-credit";
        const request: PolicyRequest = {
          kind,
          orderId: `O-${random.int(1000, 9999)}`,
          daysSinceDelivery: random.int(1, 40),
          amount: kind === "refund" ? random.int(2000, 30000) / 100 : random.int(1000, 12000) / 100,
        };
        return { id: `${NAME}#${index}`, index, kind, request: writePolicyRequest(request), scope: { tenant: "umbrella", user: random.pick(["agent-kim", "agent-lou", "agent-max"]) } };
      });
    },

    open(task, at) {
      checkIndex(NAME, at);
      const request = readPolicyRequest(task.request);
      if (request === undefined) throw unreadableRequest(NAME, task.id, task.request);
      return new PolicySession(task, request, policyAt(at), vagueAuditRate, truths);
    },

    truthOf(session) {
      return truths.truthOf(session);
    },

    oracleLessons(_task, at) {
      checkIndex(NAME, at);
      const documented = new Set(policyDirectives(DOCUMENTED_POLICY).map(renderDirective));
      return policyDirectives(policyAt(at))
        .map(renderDirective)
        .filter((text) => !documented.has(text));
    },

    gradeLesson({ text }, at) {
      checkIndex(NAME, at);
      return gradeDirectives(text, policyDirectives(policyAt(at)), expand);
    },

    lessonApplies({ text }, task) {
      return statesRuleIn(text, POLICY_SLOTS[task.kind] ?? new Set(), expand);
    },
  };
}
