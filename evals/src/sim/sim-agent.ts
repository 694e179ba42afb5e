import { LessonloopError, parseWith, type TrajectoryStep } from "@lessonloop/core";
import { estimateTokens } from "@lessonloop/replay-retriever";
import { z } from "zod";
import type { Agent, AgentRun, ModelUsage } from "../harness/agent.js";
import { readBusinessRequest } from "../environments/business-docs.js";
import { addDays, formatDate, parseDate, type DateFormat } from "../environments/date-format.js";
import { kmToMiles, readPreferenceRequest } from "../environments/preference-docs.js";
import { DOCUMENTED_POLICY, policyDirectives, readPolicyRequest } from "../environments/refund-docs.js";
import { eur, round } from "../environments/world-kit.js";
import type { EnvironmentName, Session, Task, ToolSpec, World } from "../environments/world.js";
import { directiveKey, termReference, type Directive, type PreferenceAspect, type PreferenceDirective } from "./lesson-language.js";
import { readLessons } from "./lesson-reader.js";
import { keyedDraw } from "../keyed-draw.js";

/** Parameters of {@link createSimAgent}. */
export interface SimAgentParams {
  /** The world it works in: picks the planner for that world's documented tools. */
  environment: World;
  /** Seed of the agent's own randomness (mistakes, attention). Default 1. */
  seed?: number;
  /** Chance of an ordinary mistake on a task (a wrong value in the main call), decided by seed and task id only. Default 0.03. */
  baseMistakeRate?: number;
  /** Chance that the agent follows one directive it read, decided by seed, task id and directive only. Default 0.98. */
  followRate?: number;
  /**
   * Chance that the agent fails to understand one sentence of its lessons
   * (it reads them by meaning, see lesson-reader.ts), decided by seed, task id
   * and the sentence's text only, so every strategy that shows the same text
   * on the same task gets the same misreading. Default 0.05.
   */
  lessonMisreadRate?: number;
}

const RatesSchema = z.object({
  seed: z.number().finite(),
  baseMistakeRate: z.number().min(0).max(1),
  followRate: z.number().min(0).max(1),
  lessonMisreadRate: z.number().min(0).max(1),
});

/** The result of one tool call as the planner reads it. */
interface CallResult {
  ok: boolean;
  data: Record<string, unknown>;
  text: string;
  tool: string;
}

/** What a planner works with: the world through directives, and the agent's slips. */
interface PlanContext {
  task: Task;
  /** Calls a tool after applying the directives the agent follows. */
  exec(name: string, args: Record<string, unknown>): CallResult;
  /** Looks up several ids: one call each, or one batch call when a directive says so. */
  lookupMany(tool: string, param: string, ids: readonly string[]): { ok: true; records: Record<string, unknown>[] } | { ok: false; failed: CallResult };
  /** The followed directives of one kind (in the order read). */
  followed: readonly Directive[];
  preference<A extends PreferenceAspect>(aspect: A): Extract<PreferenceDirective, { aspect: A }>["value"] | undefined;
  /** `value` as the agent writes it: off by one when it slips on this task. */
  slip(value: number): number;
  mistake: boolean;
}

type Planner = (context: PlanContext) => string;

const cantFinish = (result: CallResult) => `I could not finish the task: ${result.tool} answered "${result.text}".`;
const notUnderstood = "I could not understand the request.";

function businessPlanner(context: PlanContext): string {
  const request = readBusinessRequest(context.task.request);
  if (request === undefined) return notUnderstood;
  const { exec, slip } = context;
  switch (request.kind) {
    case "invoice": {
      const customer = exec("get_customer", { customer_id: request.customerId });
      if (!customer.ok) return cantFinish(customer);
      const email = String(customer.data["email"]);
      const invoice = exec("create_invoice", {
        customer_id: request.customerId,
        order_id: request.orderId,
        amount: slip(request.amount),
        due_date: request.dueDate,
      });
      if (!invoice.ok) return cantFinish(invoice);
      const sent = exec("send_invoice", { invoice_id: String(invoice.data["invoice_id"]), email });
      if (!sent.ok) return cantFinish(sent);
      return `Invoice ${String(invoice.data["invoice_id"])} of ${eur(request.amount)} EUR for order ${request.orderId} was sent to ${email}.`;
    }
    case "shipment": {
      const args: Record<string, unknown> = { order_id: request.orderId, weight: slip(request.weightKg), ship_date: request.shipDate };
      if (request.service === "express") args["service"] = "express";
      const shipped = exec("ship_order", args);
      if (!shipped.ok) return cantFinish(shipped);
      return `Order ${request.orderId} ships on ${request.shipDate} (${String(shipped.data["shipment_id"])}).`;
    }
    case "order": {
      const customer = exec("get_customer", { customer_id: request.customerId });
      if (!customer.ok) return cantFinish(customer);
      const order = exec("create_order", {
        customer_id: request.customerId,
        sku: request.sku,
        quantity: slip(request.quantity),
        unit_price: request.unitPrice,
      });
      if (!order.ok) return cantFinish(order);
      return `Order ${String(order.data["order_id"])} for ${request.quantity} x ${request.sku} is placed.`;
    }
    case "credit-note": {
      const note = exec("create_credit_note", { invoice_id: request.invoiceId, amount: slip(request.amount) });
      if (!note.ok) return cantFinish(note);
      return `Credit note ${String(note.data["credit_note_id"])} of ${eur(request.amount)} EUR issued on ${request.invoiceId}.`;
    }
    case "customer-lookup": {
      const found = context.lookupMany("get_customer", "customer_id", request.customerIds);
      if (!found.ok) return cantFinish(found.failed);
      const lines = found.records.map((record) => `${String(record["id"])}: ${String(record["email"])}`);
      // A slip here forgets the last customer.
      return (context.mistake ? lines.slice(0, -1) : lines).join("\n");
    }
  }
}

function policyPlanner(context: PlanContext): string {
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
}

function preferencePlanner(context: PlanContext): string {
  const request = readPreferenceRequest(context.task.request);
  if (request === undefined) return notUnderstood;
  const dateFormat: DateFormat = context.preference("date_format") ?? "YYYY-MM-DD";
  switch (request.kind) {
    case "delivery-date": {
      const date = context.mistake ? addDays(request.date, 1) : request.date;
      const booked = context.exec("book_delivery", { order_id: request.orderId, date });
      if (!booked.ok) return cantFinish(booked);
      return `Booked: the delivery of order ${request.orderId} is scheduled for ${formatDate(date, dateFormat)}.`;
    }
    case "distance": {
      const found = context.exec("get_distance", { city: request.city });
      if (!found.ok) return cantFinish(found);
      const km = Number(found.data["km"]) + (context.mistake ? 10 : 0);
      const distance = context.preference("units") === "miles" ? `${kmToMiles(km)} miles` : `${km} km`;
      return `${request.city} is ${distance} from our warehouse.`;
    }
    case "purchase": {
      const total = round(request.quantity * request.unitPrice);
      const askAbove = context.preference("confirm_above");
      if (askAbove !== undefined && total > askAbove) {
        return `The order of ${request.quantity} x ${request.item} comes to ${eur(total)} EUR. Shall I place it?`;
      }
      const placed = context.exec("place_purchase", { item: request.item, quantity: context.slip(request.quantity), unit_price: request.unitPrice });
      if (!placed.ok) return cantFinish(placed);
      return `Ordered ${request.quantity} x ${request.item} for ${eur(total)} EUR in total.`;
    }
    case "reply": {
      const status = context.exec("get_order_status", { order_id: request.orderId });
      if (!status.ok) return cantFinish(status);
      const reported = String(status.data["new_date"]);
      const date = context.mistake ? addDays(reported, 1) : reported;
      const greeting = context.preference("greeting") ?? "Hello";
      return `${greeting} ${request.company},\nwe are sorry: the shipment of order ${request.orderId} is delayed. The new delivery date is ${formatDate(date, dateFormat)}.\nBest regards`;
    }
  }
}

const PLANNERS: Record<EnvironmentName, Planner> = {
  "api-drift": businessPlanner,
  "poisoned-feedback": businessPlanner,
  "policy-shift": policyPlanner,
  "user-preferences": preferencePlanner,
};

/** The documentation as the agent's prompt holds it. */
export function renderToolDocs(tools: readonly ToolSpec[]): string {
  return tools
    .map((tool) => {
      const params = Object.entries(tool.parameters).map(([name, about]) => `  - ${name}${tool.required.includes(name) ? " (required)" : ""}: ${about}`);
      return [`${tool.name}: ${tool.description}`, ...params].join("\n");
    })
    .join("\n");
}

/** The field a directive acts on, for resolving conflicts between directives of one kind. */
function fieldOf(directive: Directive): string {
  switch (directive.kind) {
    case "rename_field":
      return directive.from;
    case "scale_value":
    case "format_field":
      return directive.field;
    case "include_param":
      return directive.param;
    default:
      return "";
  }
}

function parseResult(content: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(content);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The simulated agent. It knows only the documented tools and rules (a
 * planner per world that reads `task.request` and the tool results), and
 * changes its behaviour only through directives it reads in `context` — by
 * meaning, whatever their wording, missing a sentence with
 * `lessonMisreadRate` — each followed with `followRate`. Its ordinary mistakes and its attention depend on
 * (seed, task id) alone — common random numbers: every strategy sees the same
 * mistakes on the same tasks, and a replay with and without a lesson differs
 * only by the lesson. One model call a step; tokens by `estimateTokens` of the
 * prompt (documentation, context, request, steps so far) and of the output.
 */
export function createSimAgent({ environment, seed = 1, baseMistakeRate = 0.03, followRate = 0.98, lessonMisreadRate = 0.05 }: SimAgentParams): Agent {
  parseWith(RatesSchema, { seed, baseMistakeRate, followRate, lessonMisreadRate }, "simulated agent params");
  const planner = PLANNERS[environment.name];
  if (planner === undefined) {
    throw new LessonloopError("invalid_input", `The simulated agent has no planner for environment "${String(environment.name)}".`);
  }

  return {
    async run({ task, session, tools, context, signal }): Promise<AgentRun> {
      signal?.throwIfAborted();
      const docs = renderToolDocs(tools);
      const trajectory: TrajectoryStep[] = [];
      if (context.trim() !== "") trajectory.push({ type: "message", role: "system", content: context });
      trajectory.push({ type: "message", role: "user", content: task.request });

      const usage: ModelUsage = { calls: 0, promptTokens: 0, completionTokens: 0 };
      const promptBase = estimateTokens(`${docs}\n${context}\n${task.request}`);
      let transcriptTokens = 0;
      const spend = (output: string) => {
        usage.calls += 1;
        usage.promptTokens += promptBase + transcriptTokens;
        usage.completionTokens += estimateTokens(output);
      };

      const read = readLessons(context, { understands: (sentence) => keyedDraw(seed, task.id, "read", sentence) >= lessonMisreadRate });
      const followed = read.filter((directive) => keyedDraw(seed, task.id, "follow", directiveKey(directive)) < followRate);
      const mistake = keyedDraw(seed, task.id, "mistake") < baseMistakeRate;
      const exec = (name: string, args: Record<string, unknown>): CallResult => execute(session, trajectory, followed, name, args, (step) => {
        if (step.type === "tool_call") spend(JSON.stringify({ name: step.name, args: step.args }));
        transcriptTokens += estimateTokens(step.type === "tool_call" ? JSON.stringify(step.args) : step.type === "tool_result" ? step.content : "");
      });

      const planContext: PlanContext = {
        task,
        exec,
        followed,
        mistake,
        slip: (value) => (mistake ? round(value + 1, 6) : value),
        preference(aspect) {
          const found = followed.find((directive) => directive.kind === "preference" && directive.aspect === aspect);
          return found?.kind === "preference" ? (found.value as never) : undefined;
        },
        lookupMany(tool, param, ids) {
          const batch = followed.find((directive) => directive.kind === "batch_calls" && directive.tool === tool);
          if (batch?.kind === "batch_calls") {
            const result = exec(batch.batchTool, { [batch.param]: [...ids] });
            if (!result.ok) return { ok: false, failed: result };
            const records = Object.values(result.data).find(Array.isArray) as unknown[] | undefined;
            return { ok: true, records: (records ?? []).filter((record): record is Record<string, unknown> => typeof record === "object" && record !== null) };
          }
          const records: Record<string, unknown>[] = [];
          for (const id of ids) {
            const result = exec(tool, { [param]: id });
            if (!result.ok) return { ok: false, failed: result };
            records.push(result.data);
          }
          return { ok: true, records };
        },
      };

      const answer = planner(planContext);
      spend(answer);
      trajectory.push({ type: "message", role: "assistant", content: answer });
      return { trajectory, answer, usage };
    },
  };
}

/** The value a followed directive gives the name `term`. */
function definitionOf(followed: readonly Directive[], term: string): string | undefined {
  for (const directive of followed) if (directive.kind === "define_term" && directive.term === term) return directive.value;
  return undefined;
}

/** Applies the followed directives to one call, makes it, and records both steps. */
function execute(
  session: Session,
  trajectory: TrajectoryStep[],
  followed: readonly Directive[],
  name: string,
  args: Record<string, unknown>,
  onStep: (step: TrajectoryStep) => void,
): CallResult {
  const replaced = followed.find((directive) => directive.kind === "replace_tool" && directive.from === name);
  const tool = replaced?.kind === "replace_tool" ? replaced.to : name;
  const applies = (directive: Directive) => "tool" in directive && (directive.tool === "*" || directive.tool === name || directive.tool === tool);
  const callArgs: Record<string, unknown> = { ...args };
  // The first directive read for a field wins; formats and scales act on documented names, renames last.
  for (const kind of ["format_field", "scale_value", "include_param", "rename_field"] as const) {
    const done = new Set<string>();
    for (const directive of followed) {
      if (directive.kind !== kind || !applies(directive) || done.has(fieldOf(directive))) continue;
      done.add(fieldOf(directive));
      switch (directive.kind) {
        case "format_field": {
          const value = callArgs[directive.field];
          const iso = typeof value === "string" ? parseDate(value, "YYYY-MM-DD") : undefined;
          if (iso !== undefined) callArgs[directive.field] = formatDate(iso, directive.format);
          break;
        }
        case "scale_value": {
          const value = callArgs[directive.field];
          if (typeof value === "number") callArgs[directive.field] = round(value * directive.factor, 6);
          break;
        }
        case "include_param": {
          // A value written as "{name}" is the value a followed lesson gives that name; unknown, it is left out.
          const term = termReference(directive.value);
          const value = term === undefined ? directive.value : definitionOf(followed, term);
          if (value === undefined) done.delete(fieldOf(directive));
          else if (callArgs[directive.param] === undefined) callArgs[directive.param] = value;
          break;
        }
        case "rename_field":
          if (directive.from in callArgs) {
            callArgs[directive.to] = callArgs[directive.from];
            delete callArgs[directive.from];
          }
          break;
      }
    }
  }
  const callId = `call_${trajectory.filter((step) => step.type === "tool_call").length + 1}`;
  const call: TrajectoryStep = { type: "tool_call", id: callId, name: tool, args: callArgs };
  trajectory.push(call);
  onStep(call);
  const result = session.callTool(tool, callArgs);
  const resultStep: TrajectoryStep = { type: "tool_result", callId, name: tool, content: result.content, isError: result.isError };
  trajectory.push(resultStep);
  onStep(resultStep);
  return { ok: !result.isError, data: result.isError ? {} : parseResult(result.content), text: result.content, tool };
}
